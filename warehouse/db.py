"""Opening the DuckDB file, migrating it, and the SQL it runs.

Migrations are the files ``migrations/NNNN_name.sql``, applied once each in the order of their
number and recorded in ``schema_migrations``. The rest of the SQL is in ``sql/``, in layers:
``staging/`` (loads and upserts into the tables), ``marts/`` (the analysts' views, one a file,
created in the order of their number), ``queries/`` (what the flows read) and ``report/`` (the
report's and the data docs' queries). The views are recreated after a migration or when a file
of ``marts/`` changed (their hash is kept in ``schema_views``).
One writer process at a time: open a connection, write, close it. A file another process holds
open is waited for (:func:`set_lock_wait`, a few seconds by default) before
:class:`~warehouse.errors.DatabaseLocked` is raised.
The warehouse holds annotators' e-mails and rationales: a folder it creates is 0700, a database
file it creates 0600, and its write-ahead log (``.wal``, which DuckDB creates anew after each
checkpoint) is created 0600 while claimflow writes.
The warehouse may instead be a DuckLake catalog on PostgreSQL (``path`` a ``ducklake:postgres:...``
string; warehouse/lake.py): the same functions attach it and make it the default database, so
every query runs unchanged; several processes may write it at once, none waits on a lock, and a
write DuckLake refuses for a conflict with another is tried again (:func:`retry_conflicts`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import re
import threading
import time
from contextlib import contextmanager, nullcontext
from collections.abc import Callable, Iterator
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TypeVar

import duckdb

from warehouse import lake
from warehouse.errors import DatabaseCorrupt, DatabaseLocked, DatabaseUnreadable, MigrationError, QueryRefused, SchemaTooNew
from warehouse.lake import is_lake, mask, retry_conflicts

__all__ = ["is_lake", "mask", "retry_conflicts"]  # re-exported: the flows need no second import

_MIGRATION = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_HOLDER = re.compile(r"\(PID (\d+)\)")
# DuckDB's words for a block that fails its checksum ("Corrupt database file: computed checksum ...
# in block at location N"): checked before the lock, whose test "lock" that message matches too.
_CORRUPT = re.compile(r"corrupt database file", re.I)
T = TypeVar("T")
_lock_wait = 5.0


def set_lock_wait(seconds: float) -> None:
    """How long :func:`connect` waits for a file another process holds open before failing."""
    global _lock_wait
    _lock_wait = max(0.0, float(seconds))


SQL_LAYERS = ("staging", "marts", "queries", "report")
_MART = re.compile(r"^(\d{2})_([a-z0-9_]+)\.sql$")


@functools.cache
def sql_files() -> dict[str, Traversable]:
    """Every statement file under ``sql/`` by name: ``sql/<layer>/<name>.sql`` (a mart without
    its number). A name used twice is an error: :func:`sql` finds a file by its name alone."""
    return index_sql_files(resources.files("warehouse").joinpath("sql"))


def index_sql_files(root: Traversable) -> dict[str, Traversable]:
    """The ``.sql`` files in ``root``'s layer folders, by name; raises
    :class:`MigrationError` naming the files when two share a name."""
    found: dict[str, list[str]] = {}
    files: dict[str, Traversable] = {}
    for folder in (root.joinpath(layer) for layer in SQL_LAYERS):
        if not folder.is_dir():
            continue
        for entry in folder.iterdir():
            if not entry.name.endswith(".sql") or not entry.is_file():
                continue
            mart = _MART.match(entry.name)
            name = mart.group(2) if mart else entry.name.removesuffix(".sql")
            found.setdefault(name, []).append(f"{folder.name}/{entry.name}")
            files[name] = entry
    twice = {name: paths for name, paths in found.items() if len(paths) > 1}
    if twice:
        raise MigrationError(f"SQL files share a name: {twice}")
    return files


def sql(name: str, **names: str) -> str:
    """The text of the statement file ``name`` (``warehouse/sql/<layer>/<name>.sql``), each
    ``{key}`` replaced by ``names[key]`` (table and column names of statements shared by claims
    and pairs; never values, which are bound)."""
    try:
        text = sql_files()[name].read_text(encoding="utf-8")
    except KeyError:
        raise KeyError(f"no SQL file {name!r} in warehouse/sql") from None
    for key, value in names.items():
        if not value.isidentifier():
            raise ValueError(f"not an identifier: {value!r}")
        text = text.replace("{" + key + "}", value)
    return text


def run(con: duckdb.DuckDBPyConnection, text: str, params: dict | list | None = None) -> list[tuple]:
    """Run the statements of ``text`` (a file of ``sql/``) in order; return the rows of the first.

    Named parameters go to each statement that uses them. A write that reports what it writes
    starts with a SELECT of those rows, since DuckLake has no ``RETURNING``: run in the caller's
    transaction, it reads the snapshot the write then changes.
    """
    statements = con.extract_statements(text)
    rows: list[tuple] | None = None
    for statement in statements:
        if isinstance(params, dict):
            bound = {k: v for k, v in params.items() if k in statement.named_parameters}
            result = con.execute(statement, bound or None)
        else:
            result = con.execute(statement, params)
        if rows is None:
            rows = result.fetchall() if result.description else []
    return rows or []


def marts() -> list[tuple[str, str]]:
    """The analysts' views as (name, CREATE VIEW statement), in the order they are created (the
    number of their file: a view comes after the views it reads)."""
    folder = resources.files("warehouse").joinpath("sql", "marts")
    entries = sorted((e.name, e) for e in folder.iterdir() if _MART.match(e.name))
    return [(_MART.match(name).group(2), entry.read_text(encoding="utf-8")) for name, entry in entries]


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


def on_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default database is a DuckLake catalog."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchone()
    return bool(row) and row[0] == "ducklake"


def migrate(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply the migrations not yet recorded, each in its own transaction; recreate the views.
    On DuckLake the same files are applied through :func:`warehouse.lake.portable_ddl`. A
    warehouse whose schema is newer than these migrations is refused (:class:`SchemaTooNew`)
    and left as it is.

    Returns the names of the migrations applied now.
    """
    ddl = lake.portable_ddl if on_lake(con) else (lambda text: text)
    con.execute(ddl(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL DEFAULT now())"
    ))
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
    known = migrations()
    if done and max(done) > known[-1][0]:
        raise SchemaTooNew(
            f"its schema is version {max(done)}, newer than this claimflow knows ({known[-1][0]}): "
            "it was left as it is; use the claimflow that wrote it, or a newer one"
        )
    applied = []
    for version, name, text in known:
        if version in done:
            continue
        con.execute("BEGIN")
        if con.execute("SELECT 1 FROM schema_migrations WHERE version = ?", [version]).fetchone():
            con.execute("COMMIT")  # another process applied it since (a DuckLake catalog has several writers)
            continue
        try:
            con.execute(ddl(text))
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, name])
            con.execute("COMMIT")
        except duckdb.Error as err:
            if lake.is_conflict(err):  # another process migrated the catalog at the same moment: its COMMIT ended the transaction
                raise
            con.execute("ROLLBACK")
            raise MigrationError(f"migration {version:04d}_{name}.sql failed: {mask(str(err))}") from err
        applied.append(f"{version:04d}_{name}")
    _refresh_views(con, force=bool(applied))
    return applied


def _refresh_views(con: duckdb.DuckDBPyConnection, *, force: bool) -> None:
    """Recreate the views when a file of sql/marts changed since they were last created (or when forced)."""
    text = "\n".join(statement for _, statement in marts())
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    con.execute("CREATE TABLE IF NOT EXISTS schema_views (sha256 VARCHAR NOT NULL)")
    current = con.execute("SELECT sha256 FROM schema_views").fetchone()
    if force or current is None or current[0] != digest:
        with transaction(con):
            con.execute(text)
            con.execute("DELETE FROM schema_views")
            con.execute("INSERT INTO schema_views VALUES (?)", [digest])


_umask_lock = threading.Lock()
_umask_users = 0
_umask_before = 0


@contextmanager
def _private_files() -> Iterator[None]:
    """Files this process creates inside the block are its owner's alone (umask 077): the .wal
    DuckDB creates at a write. The umask is the process's, so nested and concurrent blocks share
    one count and the last to leave restores it."""
    global _umask_users, _umask_before
    with _umask_lock:
        if _umask_users == 0:
            _umask_before = os.umask(0o077)
            os.umask(_umask_before | 0o077)
        _umask_users += 1
    try:
        yield
    finally:
        with _umask_lock:
            _umask_users -= 1
            if _umask_users == 0:
                os.umask(_umask_before)


def _make_private_folder(folder: Path) -> None:
    """Create ``folder`` and each missing folder above it 0700 (an existing one is left as it is)."""
    missing = [f for f in (folder, *folder.parents) if not f.exists()]
    for f in reversed(missing):
        f.mkdir(mode=0o700, exist_ok=True)


def connect(path: str | Path, *, read_only: bool = False, migrate_schema: bool = True) -> duckdb.DuckDBPyConnection:
    """Open the database (creating it 0600, and its folder 0700, if need be) and bring its schema
    up to date.

    A read-only connection is not migrated. A file another process holds open for writing is
    waited for; a file that is not a DuckDB database of this version is a named error too.
    A DuckLake catalog (``ducklake:...``) is attached instead; its schema brought up to date
    even when another process does the same at the same moment.
    """
    if is_lake(path):
        return _connect_lake(str(path), read_only=read_only, migrate_schema=migrate_schema)
    path = Path(path)
    if read_only:
        return _open(path, read_only)
    _make_private_folder(path.parent)
    with _private_files():
        new = not path.exists()
        con = _open(path, read_only)
        try:
            if new:
                os.chmod(path, 0o600)  # DuckDB created it with the umask's mode; nothing is written yet
            if migrate_schema:
                migrate(con)
        except SchemaTooNew as err:
            con.close()
            raise SchemaTooNew(f"{path}: {err}") from None
        except BaseException:
            con.close()
            raise
    return con


_migrated: set[tuple[int, str]] = set()


def _connect_lake(db: str, *, read_only: bool, migrate_schema: bool, dedicated: bool = False) -> duckdb.DuckDBPyConnection:
    """A cursor on the process's shared attachment of the catalog (:func:`warehouse.lake.shared`),
    or with ``dedicated`` an attachment of its own; the schema is brought up to date by the
    first writable connection of the process. A data folder it creates is 0700 (the data files,
    written inside :func:`connection`, are 0600 like the DuckDB file)."""
    if not read_only and (folder := lake.data_path()) is not None and not folder.exists():
        _make_private_folder(folder)

    def attempt() -> duckdb.DuckDBPyConnection:
        con = lake.attach(db, read_only=True) if dedicated else lake.shared(db)[0]
        try:
            if migrate_schema and not read_only and (os.getpid(), db) not in _migrated:
                migrate(con)
                _migrated.add((os.getpid(), db))
        except duckdb.Error as err:
            con.close()
            if lake.is_conflict(err) and not dedicated:
                lake.forget_shared()  # its catalog cache may be older than the other writer's commit: attach anew
            raise
        except SchemaTooNew as err:
            con.close()
            raise SchemaTooNew(f"the DuckLake catalog of CLAIMFLOW_DB ({mask(db)}): {err}") from None
        except BaseException:
            con.close()
            raise
        return con

    return retry_conflicts(attempt, "bringing the warehouse's schema up to date")


def set_data_path(folder: str | Path | None) -> None:
    """The folder of a new DuckLake catalog's data files (CLAIMFLOW_DUCKLAKE_DATA_PATH)."""
    lake.set_data_path(folder)


def writing(path: str | Path, work: Callable[[duckdb.DuckDBPyConnection], T], what: str = "this write") -> T:
    """``work(con)`` in one transaction of its own connection, committed; run again from the
    start when a DuckLake catalog refuses the commit for a conflict with another writer (a
    DuckDB file has one writer and never does)."""
    def once() -> T:
        with connection(path) as con, transaction(con):
            return work(con)

    return retry_conflicts(once, what)


def take_turn(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Inside a write's transaction: this kind of write (a row of table write_turns, say
    "match") is being made from what the transaction read. On a DuckLake catalog two such
    transactions at once conflict, and :func:`writing` runs the later one again from a fresh
    read (two inserts of the same key never conflict there: both would be stored)."""
    updated = con.execute("UPDATE write_turns SET taken_at = now() WHERE name = ?", [name]).fetchone()
    if not updated or not updated[0]:
        raise ValueError(f"no write turn {name!r} in table write_turns")


def _open(path: Path, read_only: bool, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    return _waiting(path, lambda: duckdb.connect(str(path), read_only=read_only, config=config or {}))


def _waiting(path: Path, attempt: Callable[[], T]) -> T:
    """``attempt()`` (opening or attaching the warehouse at ``path``), tried again while another
    process holds its lock, for at most the lock wait; DuckDB's errors become claimflow's named
    ones (corrupt, unreadable, locked)."""
    deadline = time.monotonic() + _lock_wait
    pause = 0.05
    while True:
        try:
            return attempt()
        except duckdb.IOException as err:
            message = str(err)
            if _CORRUPT.search(message):
                raise DatabaseCorrupt(corrupt_message(path, message)) from err
            if "lock" not in message.lower():
                raise DatabaseUnreadable(f"cannot open {path}: {message.splitlines()[0]}") from err
            if time.monotonic() >= deadline:
                raise DatabaseLocked(_locked_message(path, message)) from err
            time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            pause = min(pause * 2, 0.5)
        except duckdb.Error as err:  # not a database file, or one of another DuckDB version
            raise DatabaseUnreadable(f"cannot open {path}: {str(err).splitlines()[0]}") from err


def _locked_message(path: Path, message: str) -> str:
    holder = _LOCK_HOLDER.search(message)
    return (f"{path} is open for writing in another process{f' (pid {holder.group(1)})' if holder else ''}; "
            f"waited {_lock_wait:g} s (CLAIMFLOW_DB_LOCK_WAIT): run this again when that process has finished")


def corrupt_message(path: Path, message: str) -> str:
    """What to say of a corrupt warehouse: which file, DuckDB's words, and how to recover."""
    detail = message.splitlines()[0].removeprefix("IO Error: ")
    return (f"{path} is corrupt ({detail}): move it aside (keep it) and restore a copy, or let claimflow start a new one "
            "there: `claimflow land` pulls every annotation from Label Studio again, and `claimflow ingest` reads the "
            "articles again")


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
    """A short-lived connection, closed on exit. While a writable one is open, the files the
    process creates are its owner's alone (the warehouse's .wal among them)."""
    with nullcontext() if read_only else _private_files():
        con = connect(path, read_only=read_only)
        try:
            yield con
        finally:
            con.close()


def snapshot_path(path: str | Path) -> Path:
    path = Path(path)
    return path.with_name(path.name + ".snapshot")


def snapshot(path: str | Path) -> Path:
    """The warehouse as people's own queries read it: a copy beside it (``<file>.snapshot``, the
    owner's alone), made again when the warehouse changed since the last one. A long query holds
    the copy open, never the warehouse, so no land or ingest waits on a reader; the warehouse is
    held (read-only) only while the copy is made, and only when it changed."""
    path = Path(path)
    target = snapshot_path(path)
    wal = path.with_name(path.name + ".wal")

    def changed() -> int:
        return max(path.stat().st_mtime_ns, wal.stat().st_mtime_ns if wal.exists() else 0)

    if target.exists() and target.stat().st_mtime_ns > changed():
        return target
    staging = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    staging.unlink(missing_ok=True)
    con = duckdb.connect()
    try:
        _waiting(path, lambda: con.execute(f"ATTACH {_literal(path)} AS warehouse (READ_ONLY)"))
        if target.exists() and target.stat().st_mtime_ns > changed():
            return target
        with _private_files():
            con.execute(f"ATTACH {_literal(staging)} AS snapshot")
            con.execute("COPY FROM DATABASE warehouse TO snapshot")
            con.execute("DETACH snapshot")
        os.replace(staging, target)
    finally:
        con.close()
        staging.unlink(missing_ok=True)
    return target


def _literal(path: str | Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


@contextmanager
def query_connection(path: str | Path, *, writable_dir: str | Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection for people's own SQL, on the warehouse's :func:`snapshot` (so a
    long query never keeps a writer waiting), contained to it: no other file, no network, no
    extension installed or loaded, and settings locked so that a query cannot lift that. With
    ``writable_dir``, files inside that folder (only) can be written and read, for ``COPY ... TO
    'DIR/file.parquet'``. A DuckLake catalog is read directly (attached read-only: its readers
    never hold up a writer); its data files are readable, nothing else."""
    if is_lake(path):
        con = _connect_lake(str(path), read_only=True, migrate_schema=False, dedicated=True)
        allowed = [row[0] for row in con.execute(
            "SELECT value FROM ducklake_options(?) WHERE option_name = 'data_path'", [lake.CATALOG]).fetchall()]
    else:
        con = _open(snapshot(path), read_only=True)
        allowed = []
    try:
        if writable_dir is not None:
            allowed.append(str(Path(writable_dir).resolve()) + "/")
        if allowed:
            con.execute(f"SET allowed_directories = [{', '.join(_literal(a) for a in allowed)}]")
        for statement in (
            "SET autoinstall_known_extensions = false",
            "SET autoload_known_extensions = false",
            "SET enable_external_access = false",
            "SET lock_configuration = true",
        ):
            con.execute(statement)
        yield con
    finally:
        con.close()


# DuckDB's logging functions change the logging settings even when they are locked; file storage
# outside the allowed folders then fails every later statement and aborts the process when the
# connection closes.
_LOGGING_FUNCTIONS = frozenset({"enable_logging", "disable_logging", "truncate_duckdb_logs"})
_EXPLAIN = re.compile(r"^\s*EXPLAIN\s+(?:ANALY[SZ]E\s+)?(?:\([^)]*\)\s*)?", re.I)
_PLAN_NAMES = re.compile(r'"(?:name|Function)":\s*"([^"]+)"')


# The attached databases' connection strings: a DuckLake catalog's holds the PostgreSQL password.
_CONNECTION_FUNCTIONS = frozenset({"duckdb_databases", "database_list"})


def _calls_logging(con: duckdb.DuckDBPyConnection, statement: duckdb.Statement, names: frozenset[str] = _LOGGING_FUNCTIONS) -> bool:
    """Whether the statement runs one of DuckDB's functions ``names`` (by default the logging
    ones), found in its plan (so that one named inside ``query('...')`` or built from pieces is
    found too); a statement DuckDB cannot explain is judged by its words."""
    text = statement.query
    if statement.type == duckdb.StatementType.EXPLAIN:
        text = _EXPLAIN.sub("", text, count=1)
    try:
        plan = "".join(str(row[1]) for row in con.execute("EXPLAIN (FORMAT json) " + text).fetchall())
    except duckdb.Error:
        return any(name in text.lower() for name in names)
    return any(name.lower() in names for name in _PLAN_NAMES.findall(plan))


def run_query(con: duckdb.DuckDBPyConnection, query: str) -> duckdb.DuckDBPyConnection:
    """Run people's own SQL (one or more statements) on a :func:`query_connection`, a statement at
    a time, and return the connection holding the last one's result. A statement that calls
    DuckDB's logging functions is refused (:class:`QueryRefused`) before anything runs."""
    statements = con.extract_statements(query)
    for statement in statements:
        if _calls_logging(con, statement):
            raise QueryRefused("DuckDB's logging (enable_logging, disable_logging, truncate_duckdb_logs) cannot be changed from claimflow sql")
    if on_lake(con):
        for statement in statements:
            if _calls_logging(con, statement, _CONNECTION_FUNCTIONS):
                raise QueryRefused("the attached databases (duckdb_databases, PRAGMA database_list) are not shown by claimflow "
                                   "sql on DuckLake: their connection string holds the catalog's password")
    result = con
    for statement in statements:
        result = con.execute(statement)
    return result
