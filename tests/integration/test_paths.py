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


# Linux keeps a process's peak resident size across fork and exec: a command started straight from
# the test process (over a gigabyte with the session's models and warehouses) would report at least
# that. A small Python process forks the command and reports the command's own peak.
_PEAK_OF = """import os, sys
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
open(sys.argv[1], "w").write(str(usage.ru_maxrss))
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_measured(args, env, timeout, tmp_path):
    """Run a command; return (exit status, stdout, stderr, its peak resident size in kB)."""
    import signal
    import sys

    out, err, peak = tmp_path / "stdout", tmp_path / "stderr", tmp_path / "peak_kb"
    with open(out, "w") as o, open(err, "w") as e:
        proc = subprocess.Popen([sys.executable, "-c", _PEAK_OF, str(peak), *args], env=env, stdout=o, stderr=e,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    watchdog = threading.Timer(timeout, lambda: os.killpg(proc.pid, signal.SIGKILL))
    watchdog.start()
    try:
        proc.wait()
    finally:
        watchdog.cancel()
    return proc.returncode, out.read_text(), err.read_text(), int(peak.read_text() or 0) if peak.exists() else 0


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
