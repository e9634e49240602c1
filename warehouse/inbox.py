"""The inbox's memory (table inbox_files): which versions of which files were ingested already
(status ingested or failed), and which were seen by a poll and wait to be seen again unchanged
(status waiting), so that a file still being written is never read half-way."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pyarrow as pa

from warehouse.db import registered, sql

_SCHEMA = pa.schema([
    ("path", pa.string()), ("size", pa.int64()), ("mtime_ns", pa.int64()), ("run_id", pa.string()),
    ("status", pa.string()), ("reason", pa.string()), ("seen_at", pa.timestamp("us")),
])


def seen(con: duckdb.DuckDBPyConnection, versions: list[tuple[str, int, int]]) -> set[tuple[str, int, int]]:
    """Those of the (path, size, mtime_ns) versions already read."""
    if not versions:
        return set()
    batch = pa.table({k: list(v) for k, v in zip(("path", "size", "mtime_ns"), zip(*versions))})
    with registered(con, batch=batch):
        rows = con.execute(
            "SELECT path, size, mtime_ns FROM inbox_files JOIN batch USING (path, size, mtime_ns) WHERE status <> 'waiting'"
        ).fetchall()
    return set(rows)


def _versions_table(versions: list[tuple[str, int, int]]) -> pa.Table:
    return pa.table({k: pa.array(list(v), _SCHEMA.field(k).type) for k, v in zip(("path", "size", "mtime_ns"), zip(*versions))})


def settled(con: duckdb.DuckDBPyConnection, versions: list[tuple[str, int, int]], before: datetime) -> set[tuple[str, int, int]]:
    """Those of the versions that an earlier poll saw already, unchanged, at or before ``before``."""
    if not versions:
        return set()
    with registered(con, batch=_versions_table(versions)):
        return set(con.execute(sql("inbox_settled"), {"before": before}).fetchall())


def wait(con: duckdb.DuckDBPyConnection, run_id: str, versions: list[tuple[str, int, int]]) -> int:
    """Remember these versions as seen now and waiting (a version seen before keeps its first
    sighting); a path's waiting rows of other versions are dropped."""
    if not versions:
        return 0
    at = now()
    rows = [{"path": p, "size": size, "mtime_ns": mtime, "run_id": run_id, "status": "waiting", "reason": None, "seen_at": at}
            for p, size, mtime in versions]
    with registered(con, batch=pa.Table.from_pylist(rows, schema=_SCHEMA)):
        con.execute(sql("record_inbox_waiting"))
    return len(rows)


def now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def record(con: duckdb.DuckDBPyConnection, run_id: str, files: list[dict]) -> int:
    """Remember these files: ``{"path", "size", "mtime_ns", "status", "reason"}``."""
    if not files:
        return 0
    at = now()
    batch = pa.Table.from_pylist([f | {"run_id": run_id, "seen_at": at} for f in files], schema=_SCHEMA)
    with registered(con, batch=batch):
        con.execute(sql("record_inbox_files"))
    return len(files)
