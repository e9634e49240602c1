"""`claimflow sql` reaches the warehouse and nothing else, unless --out-dir names a folder it may
write into; wide results stay readable, and every result says how many rows it has."""

import json
import os
import re
import subprocess

import pytest

from tests.conftest import ROOT

CLAIMFLOW = str(ROOT / ".venv" / "bin" / "claimflow")


@pytest.fixture
def warehouse(tmp_path):
    from warehouse.db import connection

    db = tmp_path / "w.duckdb"
    with connection(db) as con:
        con.execute(
            "INSERT INTO articles (article_id, title, text, n_chars, n_words, ingested_at) VALUES"
            " ('a1', 'NATO at 76', 'NATO has 32 members, officials said in Brussels.', 48, 8, now()),"
            " ('a2', 'Budget', 'The budget rose by 4 percent in 2024.', 38, 8, now())"
        )
    return db


def sql(db, *args, columns=None, terminal=False, cwd=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")} | {"CLAIMFLOW_DB": str(db)}
    if terminal:  # as in a terminal of this width
        env |= {"TTY_COMPATIBLE": "1", "COLUMNS": str(columns), "NO_COLOR": "1"}
    return subprocess.run([CLAIMFLOW, "sql", *map(str, args)], env=env, capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.slow
@pytest.mark.parametrize(
    "query",
    [
        "COPY articles TO '{tmp}/stolen.csv'",
        "SELECT content FROM read_text('{tmp}/secret.json')",
        "ATTACH '{tmp}/other.duckdb' AS other (READ_WRITE)",
        "INSTALL httpfs",
        "SET enable_external_access = true",
    ],
)
def test_a_query_cannot_reach_files_other_databases_or_extensions(warehouse, tmp_path, query):
    (tmp_path / "secret.json").write_text('{"token": "s3cret"}')
    result = sql(warehouse, query.format(tmp=tmp_path))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: ")
    assert "s3cret" not in result.stdout + result.stderr
    assert not (tmp_path / "stolen.csv").exists() and not (tmp_path / "other.duckdb").exists()


@pytest.mark.slow
@pytest.mark.parametrize(
    "query",
    [
        "CALL enable_logging(storage='file', storage_path='{tmp}/logs'); SELECT 1",
        "SELECT * FROM enable_logging(storage='file', storage_path='{tmp}/logs')",
        "FROM query('FROM enable_' || 'logging(storage=''file'', storage_path=''{tmp}/logs'')')",
        "EXPLAIN ANALYZE CALL \"Enable_Logging\"(storage='stdout')",
        "CALL enable_logging(storage='file', storage_path='{tmp}/out/logs.csv')",
    ],
)
def test_duckdb_s_logging_is_refused_in_one_line_and_the_process_ends_cleanly(warehouse, tmp_path, query):
    result = sql(warehouse, query.format(tmp=tmp_path), "--out-dir", tmp_path / "out")
    assert result.returncode == 1, result.stderr  # not 134: DuckDB aborted the process at the connection's close
    assert result.stderr.strip().splitlines() == [
        "error: DuckDB's logging (enable_logging, disable_logging, truncate_duckdb_logs) cannot be changed from claimflow sql"
    ]
    assert not (tmp_path / "logs").exists() and list((tmp_path / "out").iterdir()) == []


@pytest.mark.slow
def test_a_query_that_only_names_the_logging_functions_still_runs(warehouse):
    result = sql(warehouse, "SELECT 'enable_logging' AS word, count(*) AS n FROM duckdb_functions() WHERE function_name = 'enable_logging'")
    assert result.returncode == 0 and "enable_logging" in result.stdout and "(1 row)" in result.stdout


@pytest.mark.slow
def test_a_refused_file_access_says_how_to_write_files(warehouse, tmp_path):
    result = sql(warehouse, f"COPY articles TO '{tmp_path}/x.csv'")
    assert result.stderr.strip().endswith(
        "claimflow sql reaches no file but the warehouse; to write files pass --out-dir DIR and write into it")


@pytest.mark.slow
def test_out_dir_allows_writing_into_that_folder_only(warehouse, tmp_path):
    exports = tmp_path / "exports"
    done = sql(warehouse, "COPY articles TO 'exports/articles.parquet' (FORMAT parquet)", "--out-dir", "exports", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (exports / "articles.parquet").stat().st_size > 0
    refused = sql(warehouse, f"COPY articles TO '{tmp_path}/elsewhere.csv'", "--out-dir", exports)
    assert refused.returncode == 1 and "only files in" in refused.stderr
    assert not (tmp_path / "elsewhere.csv").exists()


@pytest.mark.slow
def test_every_result_prints_its_row_count(warehouse):
    result = sql(warehouse, "SELECT article_id, title FROM articles ORDER BY 1")
    assert result.returncode == 0
    assert result.stdout.strip().endswith("(2 rows)") and "NATO at 76" in result.stdout
    assert sql(warehouse, "SELECT 1 AS one").stdout.strip().endswith("(1 row)")
    assert sql(warehouse, "SELECT * FROM articles WHERE false").stdout.strip().endswith("(0 rows)")


def shown(result) -> list[str]:
    """The lines a terminal shows (styles such as bold removed)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", result.stdout).splitlines()


@pytest.mark.slow
def test_a_result_too_wide_for_the_terminal_prints_one_block_per_row(warehouse):
    result = sql(warehouse, "SELECT * FROM articles ORDER BY article_id", terminal=True, columns=80)
    lines = shown(result)
    assert lines[0].startswith("-[ row 1 ]") and any(line.startswith("-[ row 2 ]") for line in lines)
    assert "text         | NATO has 32 members, officials said in Brussels." in lines
    assert lines[-1] == "(2 rows)"
    assert max(len(line) for line in lines) <= 80 + 10  # no column squeezed to a word per line


@pytest.mark.slow
def test_a_result_that_fits_prints_as_a_table_with_long_values_wrapped_in_their_column(warehouse):
    result = sql(warehouse, "SELECT title, text FROM articles ORDER BY article_id", terminal=True, columns=60)
    lines = shown(result)
    assert lines[0].startswith("┏") and all(len(line) <= 60 for line in lines)
    assert any("NATO has 32 members" in line for line in lines)


@pytest.mark.slow
def test_piped_a_wide_table_is_as_wide_as_it_needs(warehouse):
    result = sql(warehouse, "SELECT * FROM articles ORDER BY article_id")
    row = next(line for line in result.stdout.splitlines() if "NATO has 32 members, officials said in Brussels." in line)
    assert "NATO at 76" in row  # one row on one line


@pytest.mark.slow
def test_json_lines_stay_plain_rows(warehouse):
    result = sql(warehouse, "SELECT article_id, n_words FROM articles ORDER BY 1", "--json")
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"article_id": "a1", "n_words": 8}, {"article_id": "a2", "n_words": 8}]


def test_a_long_query_keeps_no_writer_waiting_and_the_next_query_sees_what_was_written(warehouse):
    import time

    from warehouse.db import connection, set_lock_wait, snapshot_path

    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")} | {"CLAIMFLOW_DB": str(warehouse)}
    reader = subprocess.Popen([CLAIMFLOW, "sql", "SELECT count(*) AS n FROM articles, range(3000000000)"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not snapshot_path(warehouse).exists():  # the reader has made its copy and runs on it
            assert reader.poll() is None and time.monotonic() < deadline, reader.communicate()
            time.sleep(0.1)
        time.sleep(1)
        assert reader.poll() is None  # still reading
        set_lock_wait(1)
        try:
            with connection(warehouse) as con:  # as a land would: not kept waiting by the reader
                con.execute("INSERT INTO articles (article_id, title, text, n_chars, n_words, ingested_at)"
                            " VALUES ('a3', 'Later', 'Written while a query ran.', 26, 5, now())")
        finally:
            set_lock_wait(5)
    finally:
        reader.kill()
        reader.wait()
    later = sql(warehouse, "SELECT count(*) AS n FROM articles", "--json")
    assert later.returncode == 0 and json.loads(later.stdout) == {"n": 3}
    assert oct(snapshot_path(warehouse).stat().st_mode & 0o777) == "0o600"
