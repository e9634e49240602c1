"""The inbox's memory: which versions of which files were ingested already (table inbox_files)."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pyarrow as pa

from warehouse.db import registered

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
        rows = con.execute("SELECT path, size, mtime_ns FROM inbox_files JOIN batch USING (path, size, mtime_ns)").fetchall()
    return set(rows)


def record(con: duckdb.DuckDBPyConnection, run_id: str, files: list[dict]) -> int:
    """Remember these files: ``{"path", "size", "mtime_ns", "status", "reason"}``."""
    if not files:
        return 0
    at = datetime.now(timezone.utc).replace(tzinfo=None)
    batch = pa.Table.from_pylist([f | {"run_id": run_id, "seen_at": at} for f in files], schema=_SCHEMA)
    with registered(con, batch=batch):
        con.execute("INSERT OR REPLACE INTO inbox_files BY NAME SELECT * FROM batch")
    return len(files)
