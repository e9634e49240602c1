"""How soon an annotation is in the warehouse after its submit, with no command run: `claimflow
serve` with its schedules off (webhooks only) lands it when Label Studio's webhook arrives.

Starts its own Label Studio (claimflow's LocalServer, free loopback port, temporary data folder)
and local Prefect server (through claimflow), ingests and pushes the sample articles, starts
serve, then submits ``--annotations`` annotations one at a time through the API and times each
from the submit to the moment a read-only query finds its label.

    .venv/bin/python bench/bench_webhooks.py --annotations 10
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXE = Path(sys.executable).with_name("claimflow")

from bench.bench_commands import free_port, timed  # noqa: E402


def landed(db: Path, annotation_id: int) -> bool:
    import duckdb

    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error:  # a land is writing
        return False
    try:
        return con.execute("SELECT count(*) FROM labels WHERE annotation_id = ?", [annotation_id]).fetchone()[0] == 1
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--annotations", type=int, default=10)
    args = parser.parse_args()

    from tests.helpers import ScriptedClient
    from annotation.results import annotation_result
    from annotation.server import LocalServer

    work = Path(tempfile.mkdtemp(prefix="claimflow-bench-webhooks-"))
    server = LocalServer(data_dir=work / "labelstudio", venv=ROOT / ".venv-labelstudio", port=free_port())
    server.start(timeout=400)
    db = work / "claimflow.duckdb"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_") and k != "PREFECT_API_URL"},
        "CLAIMFLOW_DB": str(db), "CLAIMFLOW_LS_DATA_DIR": str(server.data_dir), "CLAIMFLOW_LS_PORT": str(server.port),
        "CLAIMFLOW_PREFECT_DATA_DIR": str(work / "prefect"), "CLAIMFLOW_PREFECT_PORT": str(free_port()),
        "CLAIMFLOW_WEBHOOK_PORT": str(free_port()), "PREFECT_HOME": str(work / "prefect-home"),
        "CLAIMFLOW_SCHEDULE_INGEST": "off", "CLAIMFLOW_SCHEDULE_PUSH": "off", "CLAIMFLOW_SCHEDULE_LAND": "off",
    }
    serve = None
    client = ScriptedClient(server.url, server.credentials().token)
    try:
        for cmd in (["ingest", str(ROOT / "examples" / "articles")], ["push"], ["land"]):
            timed([str(EXE), *cmd], env, work)
        serve = subprocess.Popen([str(EXE), "serve"], env=env, cwd=work, stdout=open(work / "serve.log", "w"), stderr=subprocess.STDOUT)
        project = client.find_project("claimflow claims")
        deadline = time.monotonic() + 300
        while not list(client.sdk.webhooks.list(project=str(project))) and time.monotonic() < deadline:
            time.sleep(0.5)
        time.sleep(10)  # Great Expectations imported by serve's warm-up
        users = [client.ensure_user(f"bench{i}@webhooks.example") for i in range(2)]
        tasks = [t.id for t in client.sdk.tasks.list(project=project, include="id", page_size=100)]
        latencies = []
        for i in range(args.annotations):
            t0 = time.perf_counter()
            made = client.annotate(tasks[i // 2], annotation_result(verdict="supported", confidence=3), user=users[i % 2])
            submitted = time.perf_counter() - t0
            while not landed(db, made):
                if time.perf_counter() - t0 > 120:
                    raise SystemExit(f"annotation {made} did not land within 120 s; see {work / 'serve.log'}")
                time.sleep(0.25)  # a reader's connection blocks the land's writer: not too often
            latencies.append(time.perf_counter() - t0)
            print(f"annotation {made}: submit {submitted:.2f} s, in the warehouse after {latencies[-1]:.2f} s", flush=True)
            time.sleep(2)
    finally:
        client.close()
        if serve is not None:
            serve.send_signal(signal.SIGTERM)
            serve.wait(120)
        subprocess.run([str(EXE), "prefect", "stop"], env=env, cwd=work, capture_output=True)
        server.stop()
    print(f"submit to warehouse: median {statistics.median(latencies):.2f} s, max {max(latencies):.2f} s "
          f"over {len(latencies)} annotations (target: a few seconds)")


if __name__ == "__main__":
    main()
