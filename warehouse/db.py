"""Opening the DuckDB file and migrating it.

Migrations are the files ``migrations/NNNN_name.sql``, applied once each in the order of their
number and recorded in ``schema_migrations``; the views in ``sql/views.sql`` are recreated after
a migration or when the file changed (its hash is kept in ``schema_views``).
One writer process at a time: open a connection, write, close it.
"""

from __future__ import annotations

import hashlib
import re
from contextlib import contextmanager
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import duckdb

from warehouse.errors import DatabaseLocked, MigrationError

_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


def sql(name: str, **names: str) -> str:
    """The text of ``warehouse/sql/<name>.sql``, each ``{key}`` replaced by ``names[key]`` (table
    and column names of statements shared by claims and pairs; never values, which are bound)."""
    text = resources.files("warehouse").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")
    for key, value in names.items():
        if not value.isidentifier():
            raise ValueError(f"not an identifier: {value!r}")
        text = text.replace("{" + key + "}", value)
    return text


def migrations() -> list[tuple[int, str, str]]:
    """All migrations as (version, name, sql), in order."""
    found = []
    for entry in resources.files("warehouse").joinpath("migrations").iterdir():
        if m := _MIGRATION.match(entry.name):
            found.append((int(m.group(1)), m.group(2), entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _, _ in found]
    if len(versions) != len(set(versions)):
        raise MigrationError(f"two migrations share a number: {versions}")
    return found


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; recreate the views.

    Returns the names of the migrations applied now.
    """
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT now())"
    )
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    applied = []
    for version, name, text in migrations():
        if version in done:
            continue
        con.execute("BEGIN")
        try:
            con.execute(text)
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except duckdb.Error as err:
            con.execute("ROLLBACK")
            raise MigrationError(f"migration {version:04d}_{name}.sql failed: {err}") from err
        applied.append(f"{version:04d}_{name}")
    _refresh_views(con, force=bool(applied))
    return applied


def _refresh_views(con: duckdb.DuckDBPyConnection, *, force: bool) -> None:
    """Recreate the views when sql/views.sql changed since they were last created (or when forced)."""
    text = sql("views")
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    con.execute("CREATE TABLE IF NOT EXISTS schema_views (sha256 VARCHAR NOT NULL)")
    current = con.execute("SELECT sha256 FROM schema_views").fetchone()
    if force or current is None or current[0] != digest:
        with transaction(con):
            con.execute(text)
            con.execute("DELETE FROM schema_views")
            con.execute("INSERT INTO schema_views VALUES (?)", [digest])


def connect(path: str | Path, *, read_only: bool = False, migrate_schema: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database (creating it and its folder if need be) and bring its schema up to date.

    A read-only connection is not migrated.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as err:
        if "lock" in str(err).lower():
            raise DatabaseLocked(f"{path} is open for writing in another process: {err}") from err
        raise
    if migrate_schema and not read_only:
        try:
            migrate(con)
        except BaseException:
            con.close()
            raise
    return con


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All writes inside commit together or not at all."""
    con.execute("BEGIN")
    try:
        yield con
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


@contextmanager
def registered(con: duckdb.DuckDBPyConnection, **tables) -> Iterator[duckdb.DuckDBPyConnection]:
    """Arrow tables or frames visible to SQL under these names for the block."""
    for name, table in tables.items():
        con.register(name, table)
    try:
        yield con
    finally:
        for name in tables:
            con.unregister(name)


@contextmanager
def connection(path: str | Path, *, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A short-lived connection, closed on exit."""
    con = connect(path, read_only=read_only)
    try:
        yield con
    finally:
        con.close()
