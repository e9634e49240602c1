"""The fault probe's glob over link loops, as a user runs `claimflow ingest`: bounded in time and
memory, the loops reported, the articles landed."""

import os
import re
import subprocess
import threading

import pytest

from tests.conftest import ROOT
from tests.unit.test_paths import link_loops


@pytest.fixture
def looped(tmp_path):
    return link_loops(tmp_path)


def run_measured(args, env, timeout, tmp_path):
    """Run a command; return (exit status, stdout, stderr, its peak resident size in kB)."""
    out, err = tmp_path / "stdout", tmp_path / "stderr"
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen(args, env=env, stdout=o, stderr=e, stdin=subprocess.DEVNULL)
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, out.read_text(), err.read_text(), usage.ru_maxrss


@pytest.mark.slow
def test_claimflow_ingest_of_a_glob_over_link_loops_finishes_reports_the_loops_and_lands_the_articles(looped, tmp_path, local_prefect):
    """The fault probe's command, as a user runs it: bounded in time (killed after five minutes)
    and in memory (the peak resident size of the command's process)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "LABEL_STUDIO_", "PREFECT_API_URL"))}
    env |= local_prefect | {"CLAIMFLOW_DB": str(tmp_path / "w.duckdb"), "CLAIMFLOW_SPACY_MODEL": "blank:en"}
    status, stdout, stderr, peak_kb = run_measured(
        [str(ROOT / ".venv" / "bin" / "claimflow"), "ingest", f"{looped}/**/*.txt"], env, 300, tmp_path
    )
    assert status == 0, stderr
    assert stderr.count("a loop, not followed") >= 3 and "passed over:" in stderr
    assert re.search(r"articles new +│ 2 ", stdout), stdout
    assert peak_kb < 2_000_000, f"peak {peak_kb} kB"  # the probe's run reached 21 GB
