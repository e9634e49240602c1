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
same venv, same servers and warehouse), in the same repetitions (which goes first alternates), so
that both see the same load: before and after in one run. Each run is also compared with the
import timed just before it, and its CPU time with the import's: on a shared machine the load
drifts between repetitions, and CPU time drifts least.
"""

from __future__ import annotations

import argparse
import os
import resource
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
# What the `claimflow` script runs, as a module: PYTHONPATH decides which checkout's code (a
# checkout older than the script's entry point, `flows.cli:main`, runs as it did).
EXE = [sys.executable, "-m", "flows.cli"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def timed(cmd: list[str], env: dict, cwd: Path) -> tuple[float, float]:
    """The command's wall time and its CPU time (user and system; its own process, which starts
    none), in seconds. On a shared machine the CPU time is the steadier of the two."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


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
            timed([*EXE, *cmd], env, work)
        imports = []
        load = [os.getloadavg()[0]]
        codes = {"": env}
        if args.before:
            codes["before: "] = {**env, "PYTHONPATH": str(args.before.resolve())}
        results = {}
        for name, cmd in (("no-op ingest", ["ingest", samples]), ("no-op land", ["land"])):
            for rep in range(args.repeat):  # the bare import in turn with the commands: all under the same load
                base = timed([sys.executable, "-c", "import prefect"], env, work)
                imports.append(base)
                for label, code_env in list(codes.items())[:: -1 if rep % 2 else 1]:  # which code goes first alternates
                    runs, inside = results.setdefault(label + name, ([], []))
                    since = datetime.now(timezone.utc).replace(tzinfo=None)
                    runs.append((timed([*EXE, *cmd], code_env, work), base))
                    inside.append(flow_seconds(db, since))
        load.append(os.getloadavg()[0])
    finally:
        subprocess.run([*EXE, "prefect", "stop"], env=env, cwd=work, capture_output=True)
        server.stop()

    print(f"load average (1 min) {load[0]:.1f} when the timing began, {load[-1]:.1f} at its end, on {os.cpu_count()} cores")
    walls, cpus = [w for w, _ in imports], [c for _, c in imports]
    print(f"bare `import prefect`: wall median {statistics.median(walls):.2f} s (runs {', '.join(f'{s:.2f}' for s in walls)}); "
          f"CPU median {statistics.median(cpus):.2f} s")
    for name, (runs, inside) in results.items():
        wall = [w for (w, _), _ in runs]
        # Each run against the import timed just before it (the load drifts between repetitions).
        ratios = [w / bw for (w, _), (bw, _) in runs]
        cpu_ratios = [c / bc for (_, c), (_, bc) in runs]
        print(
            f"{name}: wall median {statistics.median(wall):.2f} s (runs {', '.join(f'{s:.2f}' for s in wall)}), "
            f"{statistics.median(ratios):.2f}x the import before it (median of the runs' ratios; ratio of the medians "
            f"{statistics.median(wall) / statistics.median(walls):.2f}x); CPU {statistics.median(cpu_ratios):.2f}x; "
            f"inside the flows, median {statistics.median(inside):.2f} s, not subtracted"
        )


if __name__ == "__main__":
    main()
