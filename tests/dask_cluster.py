"""A Dask cluster as a user runs one apart from claimflow: a `dask scheduler` process and `dask
worker` processes started from the command line, loopback only, no dashboards. The workers run
from the checkout (cwd and PYTHONPATH), so they import the claimflow code under test.

Used by the integration tests and by bench/bench_dask.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DASK = str(Path(sys.executable).with_name("dask"))


class DaskProcesses:
    """A scheduler on 127.0.0.1:``port`` and ``workers`` single-threaded worker processes
    (``--no-nanny``: each worker is one process, so killing it kills the worker, as a machine
    lost would). Their output goes to files in ``log_dir``."""

    def __init__(self, port: int, log_dir: Path, workers: int = 2, env: dict[str, str] | None = None):
        self.port = port
        self.address = f"tcp://127.0.0.1:{port}"
        self.log_dir = Path(log_dir)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")} | {
            "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {}),
        }
        self.scheduler: subprocess.Popen | None = None
        self.workers: dict[str, subprocess.Popen] = {}
        self._wanted = workers

    def _start(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        try:
            return subprocess.Popen([DASK, *args], cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                    stdin=subprocess.DEVNULL)
        finally:
            log.close()

    def start(self, timeout: float = 300) -> "DaskProcesses":
        self.scheduler = self._start("scheduler", ["scheduler", "--host", "127.0.0.1", "--port", str(self.port), "--no-dashboard"])
        for n in range(self._wanted):
            self.start_worker(f"worker-{n}")
        self.wait_for_workers(self._wanted, timeout)
        return self

    def start_worker(self, name: str) -> None:
        self.workers[name] = self._start(name, [
            "worker", self.address, "--name", name, "--nworkers", "1", "--nthreads", "1", "--no-nanny",
            "--host", "127.0.0.1", "--no-dashboard",
        ])

    def client(self, timeout: float = 60):
        from distributed import Client

        return Client(self.address, timeout=timeout, set_as_default=False)

    def wait_for_workers(self, n: int, timeout: float = 300) -> None:
        with self.client(timeout) as client:
            client.wait_for_workers(n, timeout=timeout)

    def kill(self, name: str) -> None:
        """SIGKILL the worker ``name``: no goodbye to the scheduler, its tasks lost mid-way."""
        process = self.workers[name]
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop(self) -> None:
        """The workers first (they close their tasks and say goodbye), then the scheduler."""
        for group in (list(self.workers.values()), [self.scheduler]):
            running = [p for p in group if p is not None and p.poll() is None]
            for process in running:
                process.terminate()
            for process in running:
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()

    def __enter__(self) -> "DaskProcesses":
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(self, *exc) -> None:
        self.stop()


# --- run on the workers (client.run), to see what each one loads ---------------------------------

def count_loads(dask_worker) -> None:
    """From now on, count on this worker the spaCy pipelines, check-worthiness models and sentence
    encoders it loads from disk, and the extraction calls it makes (one per extraction task)."""
    import spacy

    from claims import checkworthy, encoder, extract

    counts = {"spacy": 0, "scorer": 0, "encoder": 0, "extractions": 0}

    def counting(name, function):
        def counted(*args, **kwargs):
            counts[name] += 1
            return function(*args, **kwargs)

        return counted

    spacy.load = counting("spacy", spacy.load)
    checkworthy.open_model = counting("scorer", checkworthy.open_model)
    encoder.Encoder = counting("encoder", encoder.Encoder)
    extract.extract_parallel = counting("extractions", extract.extract_parallel)
    dask_worker.claimflow_loads = counts


def loads(dask_worker) -> dict[str, int]:
    return dict(dask_worker.claimflow_loads)


def processing(dask_scheduler) -> dict:
    """The scheduler's view: each worker's tasks in processing (by name) and the tasks done."""
    return {
        "processing": {ws.name: [str(ts.key) for ts in ws.processing] for ws in dask_scheduler.workers.values()},
        "done": sum(1 for ts in dask_scheduler.tasks.values() if ts.state == "memory"),
    }


def task_prefixes(dask_scheduler) -> list[str]:
    return list(dask_scheduler.task_prefixes)
