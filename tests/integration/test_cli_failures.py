"""Every expected failure of a command is one line naming the cause and the fix, exit status 1,
as a user meets it (the CLI in its own process); the traceback is in the log file, and on the
console with --verbose. A locked warehouse is waited for; a run whose process died is recorded
as failed by the next one."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import ROOT, SAMPLES, free_port
from warehouse.db import connection

CLAIMFLOW = str(ROOT / ".venv" / "bin" / "claimflow")


@pytest.fixture
def env(tmp_path):
    """The environment of a user with a warehouse of their own and nothing else set."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "LABEL_STUDIO_", "PREFECT_API_URL"))}
    return clean | {"CLAIMFLOW_DB": str(tmp_path / "w.duckdb"), "CLAIMFLOW_LS_DATA_DIR": str(tmp_path / "ls")}


@pytest.fixture
def flow_env(env, local_prefect):
    """The same, for commands that run flows: on the session's local Prefect server."""
    return env | local_prefect


def claimflow(env, *args, timeout=300):
    return subprocess.run([CLAIMFLOW, *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)


def one_line(result) -> str:
    """The only line on stderr (a failure says nothing else), which is an error line."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ") and "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.slow
def test_a_push_to_a_server_nobody_serves_fails_at_once_in_one_line(flow_env):
    url = f"http://127.0.0.1:{free_port()}"
    line = one_line(claimflow(flow_env | {"LABEL_STUDIO_URL": url, "LABEL_STUDIO_API_KEY": "a" * 40}, "push", timeout=120))
    assert line == (
        f"error: Label Studio at {url} is unreachable: connection refused; check LABEL_STUDIO_URL and that the server runs "
        "(unset LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for the local one)"
    )


@pytest.mark.slow
def test_the_traceback_goes_to_the_log_file_and_to_the_console_with_verbose(flow_env, tmp_path):
    bad = flow_env | {"LABEL_STUDIO_URL": f"http://127.0.0.1:{free_port()}", "LABEL_STUDIO_API_KEY": "a" * 40}
    quiet = claimflow(bad, "land", timeout=120)
    one_line(quiet)
    log = (tmp_path / "claimflow.log").read_text()
    assert "Traceback" in log and "LabelStudioUnavailable" in log
    assert oct((tmp_path / "claimflow.log").stat().st_mode & 0o777) == "0o600"
    loud = claimflow(bad, "--verbose", "land", timeout=120)
    assert loud.returncode == 1 and "Traceback" in loud.stderr
    assert loud.stderr.strip().splitlines()[-1] == quiet.stderr.strip()


@pytest.mark.slow
def test_a_url_without_its_key_is_refused_instead_of_using_the_local_server(env, tmp_path):
    line = one_line(claimflow(env | {"LABEL_STUDIO_URL": "http://ls.example:8080"}, "push", timeout=120))
    assert line == ("error: invalid settings: LABEL_STUDIO_URL is set without LABEL_STUDIO_API_KEY: set both for an "
                    "external Label Studio, or neither for the local one")
    assert not (tmp_path / "ls").exists()  # no local server was started instead
    assert "LABEL_STUDIO_API_KEY is set without LABEL_STUDIO_URL" in one_line(
        claimflow(env | {"LABEL_STUDIO_API_KEY": "x" * 40}, "land", timeout=120))


@pytest.mark.slow
def test_a_wrong_token_is_one_line_that_does_not_show_it(flow_env, label_studio):
    token = "f" * 40
    result = claimflow(flow_env | {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": token}, "push")
    line = one_line(result)
    assert line == (f"error: Label Studio at {label_studio.url} refused the API token (401); check LABEL_STUDIO_API_KEY "
                    "(legacy tokens need LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN=true on the server)")
    assert token not in result.stdout + result.stderr


@pytest.mark.slow
def test_an_expired_personal_access_token_is_named_in_one_line(flow_env, label_studio):
    import jwt

    expired = jwt.encode({"token_type": "refresh", "exp": int(time.time()) - 3600, "user_id": 1}, "k" * 32, algorithm="HS256")
    result = claimflow(flow_env | {"LABEL_STUDIO_URL": label_studio.url, "LABEL_STUDIO_API_KEY": expired}, "land")
    assert one_line(result) == (
        f"error: the API token for Label Studio at {label_studio.url} has expired; create a new personal access token "
        "there (Account & Settings) and set it in LABEL_STUDIO_API_KEY"
    )
    assert expired not in result.stderr


def hold_write_lock(db, seconds):
    """Another process holding the warehouse open for writing; returns once it holds it."""
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import duckdb, time; c = duckdb.connect({str(db)!r}); print('held', flush=True); time.sleep({seconds})"],
        stdout=subprocess.PIPE, text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    return holder


@pytest.mark.slow
def test_a_locked_warehouse_is_waited_for_then_one_line_names_the_holder(flow_env, tmp_path):
    db = tmp_path / "w.duckdb"
    claimflow(flow_env, "migrate")
    holder = hold_write_lock(db, 600)
    try:
        result = claimflow(flow_env | {"CLAIMFLOW_DB_LOCK_WAIT": "2"}, "ingest", SAMPLES)
    finally:
        holder.kill()
        holder.wait()
    assert one_line(result) == (
        f"error: {db} is open for writing in another process (pid {holder.pid}); waited 2 s (CLAIMFLOW_DB_LOCK_WAIT): "
        "run this again when that process has finished"
    )
    assert result.stdout == ""  # found before any flow started or anything was read


@pytest.mark.slow
def test_a_lock_released_while_waiting_lets_the_command_go_on(env, tmp_path):
    db = tmp_path / "w.duckdb"
    claimflow(env, "migrate")
    holder = hold_write_lock(db, 2)  # lets go after 2 s, within the wait
    result = claimflow(env | {"CLAIMFLOW_DB_LOCK_WAIT": "60"}, "migrate")
    holder.wait()
    assert result.returncode == 0, result.stderr
    assert "schema version" in result.stdout


@pytest.mark.slow
def test_a_file_that_is_not_a_warehouse_is_one_line(env, tmp_path):
    (tmp_path / "w.duckdb").write_text("not a database")
    line = one_line(claimflow(env, "sql", "SELECT 1"))
    assert line.startswith(f"error: cannot open {tmp_path / 'w.duckdb'}: ")


@pytest.mark.slow
@pytest.mark.parametrize("command", [("sql", "SELECT 1"), ("migrate",), ("serve",)])
def test_a_corrupt_warehouse_is_one_line_naming_it_corrupt_at_once_and_serve_stops_before_it_starts(env, tmp_path, command):
    from tests.unit.test_warehouse_corrupt import corrupt_blocks

    db = tmp_path / "w.duckdb"
    claimflow(env, "migrate")
    corrupt_blocks(db)
    # A Prefect server nobody serves: a command that got past the warehouse would fail on it instead.
    dead = env | {"PREFECT_API_URL": f"http://127.0.0.1:{free_port()}/api", "CLAIMFLOW_DB_LOCK_WAIT": "30"}
    began = time.monotonic()
    line = one_line(claimflow(dead, *command, timeout=120))
    assert time.monotonic() - began < 20  # no lock wait
    assert line.startswith(f"error: {db} is corrupt (Corrupt database file: ")
    assert line.endswith("move it aside (keep it) and restore a copy, or let claimflow start a new one there: `claimflow land` "
                         "pulls every annotation from Label Studio again, and `claimflow ingest` reads the articles again")


@pytest.mark.slow
def test_an_unexpected_failure_is_one_line_with_its_type_a_fix_and_where_the_traceback_is(env, tmp_path):
    # A Prefect server that does not answer: a failure of another program, not of claimflow's.
    api = f"http://127.0.0.1:{free_port()}/api"
    line = one_line(claimflow(env | {"PREFECT_API_URL": api}, "ingest", SAMPLES))
    assert line == (
        f"error: RuntimeError: Failed to reach API at {api}/; Prefect's API at PREFECT_API_URL does not answer: start it "
        f"(`prefect server start`), or unset PREFECT_API_URL for a temporary server (the traceback is in {tmp_path / 'claimflow.log'})"
    )


@pytest.mark.slow
def test_a_run_whose_process_was_killed_is_recorded_as_failed_by_the_next_run(tmp_path, local_prefect):
    db = tmp_path / "w.duckdb"
    script = (
        "import os, signal\n"
        "from flows.runs import recorded_run\n"
        "class Report:\n    def counts(self): return {}\n"
        f"with recorded_run({str(db)!r}, 'killed-run', 'land', {{}}, Report()):\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    # On the session's Prefect server (the run holds the warehouse's writer slot), output to a
    # file: a pipe would stay open as long as anything the killed process started lives.
    env = os.environ | local_prefect | {"PREFECT_API_URL": f"http://127.0.0.1:{local_prefect['CLAIMFLOW_PREFECT_PORT']}/api"}
    with open(tmp_path / "output", "w") as output:
        killed = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, stdout=output, stderr=output, timeout=300)
    assert killed.returncode == -signal.SIGKILL, (tmp_path / "output").read_text()
    from warehouse import load

    with connection(db) as con:
        assert con.execute("SELECT status FROM runs WHERE run_id = 'killed-run'").fetchone() == ("running",)
        load.start_run(con, "next-run", "land", {})
        status, message, pid = con.execute("SELECT status, message, pid FROM runs WHERE run_id = 'killed-run'").fetchone()
    assert status == "failed" and message == f"its process (pid {pid}) ended before the run finished"
