"""Wait until the Dask scheduler at ADDRESS has WORKERS workers; fail at once, in one line, when
one of the processes PIDS (the scheduler and workers just started) has ended.

    wait_for_dask.py ADDRESS WORKERS LOGS PID...
"""

import sys
import time
from pathlib import Path

from distributed import Client

TIMEOUT = 300.0  # seconds: the workers import claimflow's models on a loaded machine


def ended(pid: str) -> bool:
    """Whether the process is gone (or a zombie its parent has not reaped yet)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def main(address: str, workers: str, logs: str, *pids: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while True:
        if any(ended(pid) for pid in pids):
            sys.exit(f"scaled-demo: a Dask process ended while starting; see {logs}")
        try:
            with Client(address, timeout=5) as client:
                client.wait_for_workers(int(workers), timeout=5)
            return
        except (OSError, TimeoutError):
            if time.monotonic() > deadline:
                sys.exit(f"scaled-demo: the Dask cluster at {address} did not have {workers} workers within "
                         f"{TIMEOUT:.0f} s; see {logs}")


if __name__ == "__main__":
    main(*sys.argv[1:])
