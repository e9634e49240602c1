"""No process outlives a killed command: the extraction's worker processes exit when the process
that started them is killed outright."""

import os
import signal
import subprocess
import sys
import textwrap
import time

import psutil
import pytest

from tests.conftest import SAMPLES

SCRIPT = textwrap.dedent(f"""
    from claims.extract import extract_parallel
    from claims.sources import expand_paths, read_articles

    files, _ = expand_paths([{str(SAMPLES)!r}])
    articles = list(read_articles(files, 2_000_000)) * 40
    for _ in extract_parallel("blank:en", articles, processes=2):
        pass
""")


@pytest.mark.slow
def test_extraction_workers_exit_when_their_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        workers = []
        while time.monotonic() < deadline and parent.poll() is None:
            workers = [p for p in psutil.Process(parent.pid).children(recursive=True) if "spawn_main" in " ".join(p.cmdline())]
            if len(workers) >= 2:
                break
            time.sleep(0.1)
        assert len(workers) >= 2, "the extraction did not start its workers"
        everything = psutil.Process(parent.pid).children(recursive=True)
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(10)
        _, alive = psutil.wait_procs(everything, timeout=20)
        assert not alive, f"left behind: {[p.cmdline() for p in alive]}"
    finally:
        if parent.poll() is None:
            parent.kill()
