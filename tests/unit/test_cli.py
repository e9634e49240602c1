"""The command line as a user runs it, where no server is needed: help, settings, the README, errors."""

import re

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


def test_labelstudio_status_says_when_nothing_runs(tmp_path, monkeypatch):
    from tests.conftest import free_port

    monkeypatch.setenv("CLAIMFLOW_LS_DATA_DIR", str(tmp_path / "ls"))
    monkeypatch.setenv("CLAIMFLOW_LS_PORT", str(free_port()))
    result = runner.invoke(app, ["labelstudio", "status"])
    assert result.exit_code == 1 and result.output.startswith("not running: http://127.0.0.1:")


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
    from flows.cli.common import cell

    assert cell(value) == shown
