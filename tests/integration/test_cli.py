"""The command line as a user runs it, on the session's Prefect server and Label Studio."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.usefixtures("prefect_server")
def test_ingest_exits_1_and_names_each_bad_file_while_landing_the_good_ones(tmp_path):
    db = tmp_path / "w.duckdb"
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "good.md").write_text("# Title\n\nNATO was founded in 1949 and has 32 members, officials said.\n")
    (tmp_path / "in" / "empty.txt").write_text("")
    result = runner.invoke(app, ["ingest", str(tmp_path / "in"), str(tmp_path / "gone.txt"), "--db", str(db)])
    assert result.exit_code == 1
    assert re.search(r"failed: \S*empty\.txt: file is empty", result.output)
    assert re.search(r"failed: \S*gone\.txt: no such file or directory", result.output)
    rows = invoke("sql", "SELECT count(*) AS n FROM claims", "--db", db, "--json").output.splitlines()
    assert json.loads(rows[-1]) == {"n": 1}
    again = runner.invoke(app, ["ingest", str(tmp_path / "in" / "good.md"), "--db", str(db)])
    assert again.exit_code == 0


@pytest.mark.slow
def test_the_main_job_runs_end_to_end_as_a_user_runs_it(tmp_path, label_studio, local_prefect):
    """`claimflow run` in its own process, on the local Prefect server it starts (or the session's
    one it finds), reusing the session's Label Studio as the local server (a fresh start is
    covered by the fixture)."""
    env = {
        **{k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
        **local_prefect,
        "CLAIMFLOW_DB": str(tmp_path / "demo.duckdb"),
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "CLAIMFLOW_LS_DATA_DIR": str(label_studio.data_dir),
        "CLAIMFLOW_LS_PORT": str(label_studio.port),
        "CLAIMFLOW_LS_PROJECT": "main job",
    }
    exe = Path(sys.executable).with_name("claimflow")
    proc = subprocess.run([str(exe), "run"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = proc.stdout
    assert "articles new" in out and "Outcomes of the" in out and "needs review" in out
    assert "tasks created" in out and "labels new" in out
    assert re.search(rf"Annotate at: {re.escape(label_studio.url)}/projects/\d+/data", out)
    assert f"the password is in {label_studio.credentials_file}" in out
    assert f"Watch the flow runs in Prefect: http://127.0.0.1:{local_prefect['CLAIMFLOW_PREFECT_PORT']}" in out
    creds = label_studio.credentials()
    assert creds.password not in out + proc.stderr and creds.token not in out + proc.stderr
    query = out.split('claimflow sql "', 1)[1].rsplit('"', 1)[0]
    check = subprocess.run([str(exe), "sql", query, "--json"], env=env, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert check.returncode == 0, check.stderr
    rows = [json.loads(line) for line in check.stdout.splitlines()]
    assert len(rows) == 10 and rows[0]["score"] >= rows[-1]["score"]

    again = subprocess.run([str(exe), "run"], env=env, capture_output=True, text=True, timeout=600, cwd=tmp_path)
    assert again.returncode == 0, again.stderr[-3000:]
    assert re.search(r"tasks created\s+│\s+0\s", again.stdout) and re.search(r"articles new\s+│\s+0\s", again.stdout)


def test_labelstudio_start_reuses_the_running_server_and_never_prints_secrets(ls_env):
    creds = ls_env.credentials()
    result = runner.invoke(app, ["labelstudio", "start"])
    assert result.exit_code == 0, result.output
    assert f"already running at {ls_env.url}" in result.output
    assert creds.email in result.output and str(ls_env.credentials_file) in result.output
    assert creds.password not in result.output and creds.token not in result.output
    status = runner.invoke(app, ["labelstudio", "status"])
    assert status.exit_code == 0 and status.output.startswith(f"running: {ls_env.url}")


@pytest.mark.usefixtures("prefect_server")
def test_push_to_a_label_studio_that_is_down_is_one_clear_line(tmp_path, monkeypatch):
    from tests.conftest import free_port

    url = f"http://127.0.0.1:{free_port()}"
    monkeypatch.setenv("LABEL_STUDIO_URL", url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "a" * 40)
    monkeypatch.setenv("CLAIMFLOW_LS_RETRIES", "1")
    monkeypatch.setenv("CLAIMFLOW_LS_RETRY_DELAY", "0.1")
    result = runner.invoke(app, ["push", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1
    errors = [line for line in result.output.splitlines() if line.startswith("error:")]
    assert errors == [f"error: Label Studio at {url} is unreachable: connection refused; check LABEL_STUDIO_URL and "
                      "that the server runs (unset LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for the local one)"]
    assert "a" * 40 not in result.output


def test_the_script_exits_with_the_commands_status_and_all_its_output(tmp_path):
    """`python -m flows.cli` (what the `claimflow` script runs) ends the process without the
    interpreter's teardown: the status and every line, to a pipe, must come out as before."""
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root), "CLAIMFLOW_DB": str(tmp_path / "data" / "w.duckdb")}

    def run(*args):
        return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=tmp_path, env=env,
                              capture_output=True, text=True, timeout=120)

    helped = run("--help")
    assert helped.returncode == 0 and "Usage" in helped.stdout and "land" in helped.stdout
    unknown = run("no-such-command")
    assert unknown.returncode == 2 and "No such command" in unknown.stderr
    missing = run("sql", "SELECT 1")
    assert missing.returncode == 1
    assert missing.stderr.strip().splitlines() == [f"error: {tmp_path / 'data' / 'w.duckdb'} does not exist yet; run "
                                                   "`claimflow ingest` or `claimflow run` first"]
    made = run("migrate")
    assert made.returncode == 0, made.stderr
    answered = run("sql", "SELECT 6 * 7 AS answer", "--json")
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout.splitlines()[-1]) == {"answer": 42}
