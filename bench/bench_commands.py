"""The cost of a warm command: wall time of a no-op `claimflow ingest` and a no-op `claimflow
land`, as ratios to the wall time of a bare `import prefect` in the same venv. Nothing is
subtracted: a person at the prompt waits for the flows' own seconds too (printed beside, from the
warehouse's runs table, for where the time goes).

Starts its own Label Studio (claimflow's LocalServer, on a free loopback port, temporary data
folder), ingests the sample articles, pushes and lands once (the warm-up), then times each
command ``--repeat`` times, each time after a bare ``import prefect``. Prefect is whatever the
commands use: the local Prefect server of the data folder (started by the warm-up), or
PREFECT_API_URL when set.

    .venv/bin/python bench/bench_commands.py --repeat 5

``--before DIR``: the same commands run from another checkout of claimflow too (``PYTHONPATH=DIR``,
same venv, same servers and warehouse), each repetition right after this code's, so that both see
the same load: before and after in one run.
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
EXE = Path(sys.executable).with_name("claimflow")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(cmd: list[str], env: dict, cwd: Path) -> float:
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall


def flow_seconds(db: Path, since: datetime) -> float:
    """Seconds inside the flows (runs recorded since ``since``; a land's resolve runs after it)."""
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        rows = con.execute(
            "SELECT epoch(finished_at) - epoch(started_at) FROM runs WHERE started_at >= ? AND finished_at IS NOT NULL",
            [since],
        ).fetchall()
    finally:
        con.close()
    return sum(r[0] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout of claimflow (e.g. `git archive` of the last release) to time beside")
    args = parser.parse_args()

    from annotation.server import LocalServer

    work = Path(tempfile.mkdtemp(prefix="claimflow-bench-commands-"))
    server = LocalServer(data_dir=work / "labelstudio", venv=ROOT / ".venv-labelstudio", port=free_port())
    server.start(timeout=400)
    db = work / "claimflow.duckdb"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")},
        "CLAIMFLOW_DB": str(db),
        "CLAIMFLOW_LS_DATA_DIR": str(server.data_dir),
        "CLAIMFLOW_LS_PORT": str(server.port),
        "CLAIMFLOW_PREFECT_DATA_DIR": str(work / "prefect"),
        "CLAIMFLOW_PREFECT_PORT": str(free_port()),
        "PREFECT_HOME": str(work / "prefect-home"),
        "PYTHONPATH": str(ROOT),  # this checkout's code, not the one the venv has installed
    }
    samples = str(ROOT / "examples" / "articles")
    try:
        for cmd in (["ingest", samples], ["push"], ["land"]):  # warm-up: the work is done once
            timed([str(EXE), *cmd], env, work)
        imports = []
        load = [os.getloadavg()[0]]
        codes = {"": env}
        if args.before:
            codes["before: "] = {**env, "PYTHONPATH": str(args.before.resolve())}
        results = {}
        for name, cmd in (("no-op ingest", ["ingest", samples]), ("no-op land", ["land"])):
            for _ in range(args.repeat):  # the bare import in turn with the commands: all under the same load
                imports.append(timed([sys.executable, "-c", "import prefect"], env, work))
                for label, code_env in codes.items():
                    walls, inside = results.setdefault(label + name, ([], []))
                    since = datetime.now(timezone.utc).replace(tzinfo=None)
                    walls.append(timed([str(EXE), *cmd], code_env, work))
                    inside.append(flow_seconds(db, since))
        load.append(os.getloadavg()[0])
    finally:
        subprocess.run([str(EXE), "prefect", "stop"], env=env, cwd=work, capture_output=True)
        server.stop()

    print(f"load average (1 min) {load[0]:.1f} when the timing began, {load[-1]:.1f} at its end, on {os.cpu_count()} cores")
    base = statistics.median(imports)
    print(f"bare `import prefect`: median {base:.2f} s (runs {', '.join(f'{s:.2f}' for s in imports)})")
    for name, (walls, inside) in results.items():
        med = statistics.median(walls)
        print(
            f"{name}: wall median {med:.2f} s = {med / base:.2f}x import prefect (runs {', '.join(f'{s:.2f}' for s in walls)}; "
            f"of which inside the flows, median {statistics.median(inside):.2f} s, not subtracted)"
        )


if __name__ == "__main__":
    main()
