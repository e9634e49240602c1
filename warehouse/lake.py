"""The warehouse on DuckLake: a catalog in PostgreSQL, data files as Parquet in a folder.

``CLAIMFLOW_DB`` names it as DuckDB's ATTACH does: ``ducklake:postgres:dbname=D host=H port=P
user=U password=W``, with ``CLAIMFLOW_DUCKLAKE_DATA_PATH`` the folder of its data files (needed
when the catalog is created; DuckLake keeps it in the catalog after that). Every query of the
DuckDB file runs unchanged: the catalog is attached and made the default.

- The extensions (ducklake, postgres) are installed from the ``duckdb-extension-*`` packages
  into claimflow's own extension folder, never from the network: autoinstall and autoload are
  off on every connection, so a missing package is one named error, not a download attempt.
- DuckLake has no PRIMARY KEY, UNIQUE or CHECK constraints: :func:`portable_ddl` removes those
  clauses from the migrations (the DuckDB file keeps them; the MERGE statements of sql/staging
  keep keys unique on both).
- Several processes may write at once. DuckLake refuses a commit that conflicts with another
  (both changed rows of one table): :func:`retry_conflicts` runs the whole write again a few
  times with backoff, then raises :class:`~warehouse.errors.WriteConflict`.
- Passwords never leave this module in clear: :func:`mask` is applied to every message.
"""

from __future__ import annotations

import os
import random
import re
import threading
import time
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import TypeVar

import duckdb

from warehouse.errors import DatabaseUnreadable, WriteConflict
from warehouse.masking import mask

PREFIX = "ducklake:"
CATALOG = "warehouse"  # the name the catalog is attached under
EXTENSIONS = (("postgres", "duckdb_extension_postgres"), ("ducklake", "duckdb_extension_ducklake"))
T = TypeVar("T")

_data_path: Path | None = None
_conflict_tries = 6
_conflict_pause = 0.1
_retried = 0  # writes this process ran again after a conflict


def is_lake(db: str | Path) -> bool:
    """Whether ``db`` names a DuckLake catalog rather than a DuckDB file."""
    return str(db).startswith(PREFIX)


def data_path() -> Path | None:
    """The data files' folder set by :func:`set_data_path` (None: the one the catalog records)."""
    return _data_path


def set_data_path(folder: str | Path | None) -> None:
    """The folder of the data files of a DuckLake catalog created from now on (CLAIMFLOW_DUCKLAKE_DATA_PATH)."""
    global _data_path
    _data_path = Path(folder) if folder else None


def set_conflict_retries(tries: int, first_pause: float = 0.1) -> None:
    """How many times a conflicting write is tried in all, and the pause before the second try
    (doubled, with jitter, for each next one)."""
    global _conflict_tries, _conflict_pause
    _conflict_tries, _conflict_pause = max(1, int(tries)), max(0.0, float(first_pause))


def extension_dir() -> Path:
    """Where the extensions are installed from their packages: claimflow's own folder in the
    user's cache, so that no other DuckDB's extensions are used or changed."""
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "claimflow" / "duckdb-extensions"


def extension_file(package: str, name: str) -> Path:
    """The extension file inside its package, for the DuckDB version running; a named error if
    the package (for this version) is not installed."""
    try:
        folder = resources.files(package)
    except ModuleNotFoundError:
        raise DatabaseUnreadable(
            f"the DuckDB extension {name} is not installed (package {package.replace('_', '-')} {duckdb.__version__}); "
            "a DuckLake warehouse needs it"
        ) from None
    path = Path(str(folder)) / "extensions" / f"v{duckdb.__version__}" / f"{name}.duckdb_extension"
    if not path.is_file():
        raise DatabaseUnreadable(
            f"the package {package.replace('_', '-')} has no {name} extension for DuckDB {duckdb.__version__} "
            f"(install the {duckdb.__version__} release of that package)"
        )
    return path


def offline_connection(config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with the ducklake and postgres extensions loaded from
    their packages and nothing ever fetched from the network."""
    folder = extension_dir()
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    con = duckdb.connect(config={
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        "extension_directory": str(folder),
        **(config or {}),
    })
    try:
        for name, package in EXTENSIONS:
            try:
                con.execute(f"LOAD {name}")
            except duckdb.Error:  # not installed in our folder yet (or from another package version)
                con.execute(f"FORCE INSTALL {_literal(extension_file(package, name))}")
                con.execute(f"LOAD {name}")
    except BaseException:
        con.close()
        raise
    return con


def attach(db: str, *, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A connection with the catalog ``db`` attached as the default database; an unreachable
    catalog, a refused password, a missing extension are :class:`DatabaseUnreadable` naming
    CLAIMFLOW_DB, passwords masked (DuckDB's own text repeats the connection string)."""
    options = []
    if _data_path is not None:
        options.append(f"DATA_PATH {_literal(str(_data_path.resolve()) + '/')}")
    if read_only:
        options.append("READ_ONLY")
    statement = f"ATTACH {_literal(db)} AS {CATALOG}" + (f" ({', '.join(options)})" if options else "")
    for attempt in range(5):
        con = offline_connection(config)
        try:
            con.execute(statement)
            con.execute(f"USE {CATALOG}")
            return con
        except duckdb.Error as err:
            con.close()
            # Two processes creating the catalog at the same moment: one wins, the other attaches what it made.
            if "Failed to initialize DuckLake" in str(err) and attempt < 4:
                time.sleep(0.2 * (attempt + 1))
                continue
            raise DatabaseUnreadable(attach_message(db, str(err))) from None  # DuckDB's text holds the password
    raise AssertionError("unreachable")


_shared: dict[tuple, duckdb.DuckDBPyConnection] = {}
_shared_lock = threading.Lock()


def shared(db: str) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """A new cursor on this process's one attachment of ``db`` (attaching takes about a second,
    a cursor a tenth of that), the catalog its default database; and whether the attachment is
    new. Each cursor has its own transactions; closing it leaves the attachment open."""
    key = (os.getpid(), db, _data_path)
    with _shared_lock:
        base = _shared.get(key)
        new = base is None
        if new:
            base = _shared[key] = attach(db)
    cursor = base.cursor()
    cursor.execute(f"USE {CATALOG}")
    return cursor, new


def forget_shared() -> None:
    """Detach every shared attachment of this process (the next connection attaches anew)."""
    with _shared_lock:
        for con in _shared.values():
            con.close()
        _shared.clear()


def attach_message(db: str, message: str) -> str:
    """One line for a catalog that cannot be attached: the setting, the catalog (masked), why."""
    first = mask(message).splitlines()[0]
    if reason := re.search(r"connection to server at .*", first):
        first = reason.group(0)
    hint = ""
    if "DATA_PATH" in message or "data path" in message.lower():
        hint = " (set CLAIMFLOW_DUCKLAKE_DATA_PATH to the folder of its data files)"
    return f"cannot open the DuckLake catalog of CLAIMFLOW_DB ({mask(db)}): {first}{hint}"


_CONSTRAINT_LINE = re.compile(r"^\s*(PRIMARY\s+KEY|UNIQUE|CHECK)\s*\(", re.I)
_INLINE_KEY = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b", re.I)
_INLINE_CHECK = re.compile(r"\s+CHECK\s*\(", re.I)


def portable_ddl(text: str) -> str:
    """A migration as DuckLake takes it: PRIMARY KEY, UNIQUE and CHECK clauses removed, inline
    (``id VARCHAR PRIMARY KEY``, ``score DOUBLE CHECK (...)``) or as table constraints (a line of
    their own), and the comma they leave dangling before ``)``. Everything else (NOT NULL,
    DEFAULT, ALTER TABLE, types) is kept as it is: DuckLake takes it."""
    lines = []
    for line in text.splitlines():
        code, dashes, comment = line.partition("--")
        if _CONSTRAINT_LINE.match(code):
            continue
        code = _INLINE_KEY.sub("", code)
        code = _strip_inline_checks(code)
        lines.append(code + dashes + comment)
    return re.sub(r",(\s*(?:--[^\n]*\n\s*)*)\)", r"\1)", "\n".join(lines))


def _strip_inline_checks(code: str) -> str:
    """``code`` without ``CHECK (...)`` (parentheses balanced)."""
    while m := _INLINE_CHECK.search(code):
        depth, end = 0, m.end() - 1
        for end in range(m.end() - 1, len(code)):
            depth += {"(": 1, ")": -1}.get(code[end], 0)
            if depth == 0:
                break
        code = code[: m.start()] + code[end + 1:]
    return code


def is_conflict(err: BaseException) -> bool:
    """Whether ``err`` is DuckLake refusing a commit for a conflict with another writer (or giving
    up its own retries of a commit that raced another for the next snapshot id)."""
    text = str(err).lower()
    return isinstance(err, duckdb.TransactionException) and ("conflict" in text or "maximum retry count" in text)


def conflicts_retried() -> int:
    """How many times this process ran a write again after a conflict (for benchmarks and logs)."""
    return _retried


def retry_conflicts(work: Callable[[], T], what: str = "this write") -> T:
    """``work()`` (a whole write: its own connection and transaction), run again when DuckLake
    refuses its commit for a conflict with another writer, up to the configured tries with a
    growing pause; then :class:`WriteConflict`, one line."""
    global _retried
    pause = _conflict_pause
    for attempt in range(1, _conflict_tries + 1):
        try:
            return work()
        except duckdb.Error as err:
            if not is_conflict(err):
                raise
            if attempt == _conflict_tries:
                raise WriteConflict(
                    f"{what} conflicted with other writers of the DuckLake catalog {_conflict_tries} times in a row "
                    f"({mask(str(err)).splitlines()[-1].strip()}): run it again"
                ) from None
        _retried += 1
        time.sleep(pause * (1 + random.random()))
        pause *= 2
    raise AssertionError("unreachable")


def _literal(text: str | Path) -> str:
    return "'" + str(text).replace("'", "''") + "'"
