"""The command line as a user runs it."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import ROOT, SAMPLES

runner = CliRunner()


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def command_names():
    import typer.main

    return sorted(typer.main.get_command(app).commands)


def test_every_command_has_help_text_and_a_readme_entry():
    readme = (ROOT / "README.md").read_text()
    for name in command_names():
        result = invoke(name, "--help")
        assert result.exit_code == 0
        assert len(result.output.strip().splitlines()) > 3, name
        assert f"claimflow {name}" in readme, f"README has no entry for `claimflow {name}`"


def test_every_setting_is_documented_in_the_readme():
    from flows.settings import Settings

    readme = (ROOT / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"CLAIMFLOW_{name.upper()}" in readme, name


def test_migrate_creates_the_database(tmp_path):
    db = tmp_path / "w.duckdb"
    from warehouse.db import migrations

    latest = migrations()[-1][0]
    result = invoke("migrate", "--db", db)
    assert result.exit_code == 0 and f"schema version {latest} (applied 0001_" in result.output
    assert db.exists()
    again = invoke("migrate", "--db", db)
    assert again.output.strip().endswith(f"schema version {latest}")


def test_sql_on_a_missing_database_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["sql", "SELECT 1", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "does not exist yet" in result.output


def test_sql_errors_are_one_line(tmp_path):
    db = tmp_path / "w.duckdb"
    invoke("migrate", "--db", db)
    result = runner.invoke(app, ["sql", "SELECT nope FROM articles", "--db", str(db)])
    assert result.exit_code == 1
    assert result.output.count("error:") == 1 and "nope" in result.output


def test_invalid_setting_is_reported_by_name(tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMFLOW_BATCH_SIZE", "zero")
    result = runner.invoke(app, ["migrate", "--db", str(tmp_path / "w.duckdb")])
    assert result.exit_code == 1 and "batch_size" in result.output


@pytest.mark.integration
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


@pytest.mark.integration
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


def test_labelstudio_status_says_when_nothing_runs(tmp_path, monkeypatch):
    from tests.conftest import free_port

    monkeypatch.setenv("CLAIMFLOW_LS_DATA_DIR", str(tmp_path / "ls"))
    monkeypatch.setenv("CLAIMFLOW_LS_PORT", str(free_port()))
    result = runner.invoke(app, ["labelstudio", "status"])
    assert result.exit_code == 1 and result.output.startswith("not running: http://127.0.0.1:")


@pytest.mark.integration
def test_labelstudio_start_reuses_the_running_server_and_never_prints_secrets(ls_env):
    creds = ls_env.credentials()
    result = runner.invoke(app, ["labelstudio", "start"])
    assert result.exit_code == 0, result.output
    assert f"already running at {ls_env.url}" in result.output
    assert creds.email in result.output and str(ls_env.credentials_file) in result.output
    assert creds.password not in result.output and creds.token not in result.output
    status = runner.invoke(app, ["labelstudio", "status"])
    assert status.exit_code == 0 and status.output.startswith(f"running: {ls_env.url}")


@pytest.mark.integration
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


def test_the_readme_configuration_table_is_one_table_with_every_setting():
    from flows.settings import Settings

    lines = (ROOT / "README.md").read_text().splitlines()
    start = lines.index("| variable | default | meaning |")
    table = []
    for line in lines[start:]:
        if not line.startswith("|"):
            break
        table.append(line)
    text = "\n".join(table)
    for name in Settings.model_fields:
        assert f"`CLAIMFLOW_{name.upper()}`" in text, f"CLAIMFLOW_{name.upper()} is not in the configuration table"


def test_the_readme_names_exactly_the_commands_that_take_db():
    import typer.main

    commands = typer.main.get_command(app).commands
    with_db = sorted(n for n, c in commands.items() if any("--db" in p.opts for p in getattr(c, "params", [])))
    readme = (ROOT / "README.md").read_text()
    sentence = readme.split("the commands that use the warehouse (", 1)[1].split(")", 1)[0]
    assert sorted(re.findall(r"`([\w-]+)`", sentence)) == with_db


@pytest.mark.parametrize("command", ["push", "land", "sql", "rescore", "ingest"])
def test_help_shows_the_environment_variable_and_default_of_each_option(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    assert "DuckDB file [env CLAIMFLOW_DB, default data/claimflow.duckdb]" in text
    assert "DuckDB file ." not in text


def test_make_bench_runs_every_benchmark():
    makefile = (ROOT / "Makefile").read_text()
    recipe = makefile.split("\nbench:", 1)[1].split("\n\n", 1)[0]
    for script in sorted((ROOT / "bench").glob("bench_*.py")):
        assert f"bench/{script.name}" in recipe, script.name


@pytest.mark.parametrize(
    ("value", "shown"),
    [(None, "-"), (0.41234, "0.412"), (1.0, "1"), ({"http://127.0.0.1:8080 3": 0.5}, "http://127.0.0.1:8080 3: 0.5"),
     ({}, "-"), ("majority_vote", "majority_vote"), (12, "12")],
)
def test_tables_show_values_as_people_read_them(value, shown):
    from flows.cli import _cell

    assert _cell(value) == shown
