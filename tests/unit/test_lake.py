"""The DuckLake side of the warehouse that needs no PostgreSQL: the migrations as DuckLake takes
them, passwords masked, the extensions loaded from their packages only."""

import duckdb
import pytest

from warehouse import lake
from warehouse.db import migrations
from warehouse.masking import mask


def test_portable_ddl_removes_keys_uniques_and_checks_and_keeps_the_rest():
    text = """CREATE TABLE t (
    id    VARCHAR PRIMARY KEY,   -- the key
    code  VARCHAR UNIQUE,
    score DOUBLE NOT NULL CHECK (score BETWEEN 0 AND (1)),
    kind  VARCHAR DEFAULT 'x' CHECK (kind IN ('x', 'y')),
    check_worthy BOOLEAN,
    made  TIMESTAMP NOT NULL DEFAULT now(),
    PRIMARY KEY (id, code),
    CHECK (id < code)
);
ALTER TABLE t ADD COLUMN note VARCHAR;"""
    out = lake.portable_ddl(text)
    assert "PRIMARY" not in out and "UNIQUE" not in out and "CHECK (" not in out.upper().replace("CHECK_WORTHY", "")
    assert "score DOUBLE NOT NULL," in out and "kind  VARCHAR DEFAULT 'x'," in out and "-- the key" in out
    assert "made  TIMESTAMP NOT NULL DEFAULT now()\n)" in out and "check_worthy BOOLEAN" in out
    assert out.endswith("ALTER TABLE t ADD COLUMN note VARCHAR;")
    con = duckdb.connect()
    con.execute(out)  # still valid SQL
    assert [r[0] for r in con.execute("DESCRIBE t").fetchall()] == ["id", "code", "score", "kind", "check_worthy", "made", "note"]


def test_every_migration_without_its_constraints_builds_the_same_columns():
    whole, portable = duckdb.connect(), duckdb.connect()
    for _, _, text in migrations():
        whole.execute(text)
        portable.execute(lake.portable_ddl(text))
    columns = "SELECT table_name, column_name, data_type FROM information_schema.columns ORDER BY ALL"
    assert whole.execute(columns).fetchall() == portable.execute(columns).fetchall()
    constraints = "SELECT count(*) FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE', 'CHECK')"
    assert whole.execute(constraints).fetchone()[0] > 20 and portable.execute(constraints).fetchone()[0] == 0


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ducklake:postgres:dbname=d host=h password=s3cr3t user=u", "ducklake:postgres:dbname=d host=h password=*** user=u"),
        ("at path + \"postgres:dbname=d password=s3cr3t\"Unable", "at path + \"postgres:dbname=d password=***\"Unable"),
        ("PASSWORD = 's3 cr''et' port=1", "PASSWORD = *** port=1"),
        ("postgresql+asyncpg://prefect:s3cr3t@127.0.0.1:5432/prefect", "postgresql+asyncpg://prefect:***@127.0.0.1:5432/prefect"),
        ("no secret here", "no secret here"),
    ],
)
def test_passwords_are_masked(text, expected):
    assert mask(text) == expected and "s3cr" not in mask(text)


def test_the_extensions_load_from_their_packages_with_autoinstall_off(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # nothing installed yet: installed now, from the packages
    con = lake.offline_connection()
    rows = dict(con.execute(
        "SELECT extension_name, installed_from FROM duckdb_extensions() WHERE extension_name IN ('ducklake', 'postgres_scanner') AND loaded"
    ).fetchall())
    assert rows == {"ducklake": str(lake.extension_file("duckdb_extension_ducklake", "ducklake")),
                    "postgres_scanner": str(lake.extension_file("duckdb_extension_postgres", "postgres"))}
    assert str(tmp_path) in con.execute("SELECT current_setting('extension_directory')").fetchone()[0]
    for setting in ("autoinstall_known_extensions", "autoload_known_extensions"):
        assert con.execute(f"SELECT current_setting('{setting}')").fetchone()[0] is False


def test_a_missing_extension_package_is_one_named_error():
    from warehouse.errors import DatabaseUnreadable

    with pytest.raises(DatabaseUnreadable, match="duckdb-extension-nosuch"):
        lake.extension_file("duckdb_extension_nosuch", "nosuch")


def test_a_conflict_is_tried_again_then_given_up_in_one_line(monkeypatch):
    from warehouse.errors import WriteConflict

    monkeypatch.setattr(lake, "_conflict_pause", 0.0)
    calls = []

    def conflicting():
        calls.append(1)
        raise duckdb.TransactionException("Failed to commit DuckLake transaction.\nTransaction conflict - password=s3cr3t")

    with pytest.raises(WriteConflict) as caught:
        lake.retry_conflicts(conflicting, "storing the articles")
    assert len(calls) == lake._conflict_tries and "storing the articles" in str(caught.value)
    assert "s3cr3t" not in str(caught.value) and "\n" not in str(caught.value)
    calls.clear()
    assert lake.retry_conflicts(lambda: calls.append(1) or (len(calls) > 2 or conflicting()) and "done") == "done"


def test_a_ducklake_db_setting_stays_a_string_and_a_file_one_a_path():
    from pathlib import Path

    from flows.settings import Settings

    db = "ducklake:postgres:dbname=d host=127.0.0.1 password=s3cr3t"
    settings = Settings(db=db)
    assert settings.db == db and settings.db_is_lake and "s3cr3t" not in settings.db_name + repr(settings)
    assert settings.log_path == Path("data/claimflow.log")
    assert Settings(db="w/x.duckdb").db == Path("w/x.duckdb") and not Settings(db="w/x.duckdb").db_is_lake


def test_the_log_file_and_the_console_show_passwords_masked(tmp_path):
    import subprocess
    import sys

    script = f"""
import logging, sys
from flows import logs
logging.basicConfig(stream=sys.stderr, level=logging.INFO)  # a console handler, as Prefect's
logs.capture(__import__("pathlib").Path({str(tmp_path / "claimflow.log")!r}), verbose=False)
logging.getLogger("claimflow.test").warning("attaching %s", "ducklake:postgres:dbname=d password=s3cr3t host=h")
try:
    raise RuntimeError("cannot open postgres:dbname=d password=s3cr3t")
except RuntimeError:
    logging.getLogger(logs.ERRORS).error("command failed", exc_info=True)
"""
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "claimflow.log").read_text()
    assert "password=***" in text and "RuntimeError" in text and "s3cr3t" not in text
    assert "password=***" in result.stderr and "s3cr3t" not in result.stderr
