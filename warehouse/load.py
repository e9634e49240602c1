"""Idempotent loads into the warehouse from Arrow tables (or pandas frames).

Every load registers its batch as a relation and runs one set-based statement from ``sql/``;
rows are never inserted one by one. Loads do not open transactions of their own: wrap the
loads that belong together in :func:`warehouse.db.writing` (or :func:`warehouse.db.transaction`).
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timezone

import duckdb
import pyarrow as pa

from warehouse.db import registered, run, sql


@dataclass(frozen=True, slots=True)
class LoadCounts:
    new: int
    existing: int


def _load(con: duckdb.DuckDBPyConnection, statement: str, batch, key: str, table: str) -> LoadCounts:
    if batch is None or len(batch) == 0:
        return LoadCounts(0, 0)
    with registered(con, batch=batch):
        existing = con.execute(
            f"SELECT count(DISTINCT {key}) FROM batch WHERE {key} IN (SELECT {key} FROM {table})"
        ).fetchone()[0]
        written = {row[0] for row in run(con, sql(statement))}
    new = len(written) if statement == "upsert_articles" else len(written) - existing
    return LoadCounts(new=max(new, 0), existing=existing)


def upsert_articles(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> LoadCounts:
    """Add the articles not yet present; those present are left untouched."""
    return _load(con, "upsert_articles", batch, "article_id", "articles")


def upsert_claims(con: duckdb.DuckDBPyConnection, batch: pa.Table) -> LoadCounts:
    """Insert new claims and re-score those already present."""
    return _load(con, "upsert_claims", batch, "claim_id", "claims")


def claims_to_rescore(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(claim id, text, rule features as JSON) of every claim, for the rescore."""
    return con.execute(sql("claims_to_rescore")).fetchall()


def update_scores(con: duckdb.DuckDBPyConnection, batch) -> int:
    """New scores (``batch``: claim_id, score, scorer), in the caller's transaction; how many changed."""
    with registered(con, batch=batch):
        return len(run(con, sql("update_scores")))


def existing_article_ids(con: duckdb.DuckDBPyConnection, ids: list[str]) -> set[str]:
    """Which of ``ids`` are already in the warehouse."""
    if not ids:
        return set()
    with registered(con, wanted=pa.table({"article_id": pa.array(ids, pa.string())})):
        rows = con.execute("SELECT article_id FROM articles WHERE article_id IN (SELECT article_id FROM wanted)").fetchall()
    return {r[0] for r in rows}


def record_failures(con: duckdb.DuckDBPyConnection, run_id: str, failures: list[dict]) -> int:
    """Append one row per failed or skipped input: ``{"path", "line", "reason"}`` and ``kind``
    ('error', the default, or 'skipped')."""
    if not failures:
        return 0
    now = _now()
    batch = pa.Table.from_pylist(
        [{"run_id": run_id, "path": f["path"], "line": f.get("line"), "reason": f["reason"], "failed_at": now,
          "kind": f.get("kind", "error")} for f in failures],
        schema=pa.schema(
            [("run_id", pa.string()), ("path", pa.string()), ("line", pa.int32()), ("reason", pa.string()),
             ("failed_at", pa.timestamp("us")), ("kind", pa.string())]
        ),
    )
    with registered(con, batch=batch):
        con.execute("INSERT INTO ingest_failures BY NAME SELECT * FROM batch")
    return len(failures)


def start_run(con: duckdb.DuckDBPyConnection, run_id: str, flow: str, parameters: dict) -> None:
    """Record that a flow run started (a re-used run id starts over), by this process; runs left
    `running` by processes of this host that have ended are recorded as failed first."""
    fail_abandoned_runs(con)
    con.execute(sql("start_run"), {
        "run_id": run_id, "flow": flow, "started_at": _now(), "parameters": json.dumps(parameters, default=str),
        "pid": os.getpid(), "host": socket.gethostname(),
    })


def fail_abandoned_runs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Record as failed the runs still `running` whose process (on this host) no longer runs;
    return their ids."""
    running = con.execute(
        "SELECT run_id, pid FROM runs WHERE status = 'running' AND host = ? AND pid IS NOT NULL", [socket.gethostname()]
    ).fetchall()
    gone = [(run_id, pid) for run_id, pid in running if not _process_alive(pid)]
    for run_id, pid in gone:
        con.execute(
            "UPDATE runs SET status = 'failed', finished_at = ?, message = ? WHERE run_id = ?",
            [_now(), f"its process (pid {pid}) ended before the run finished", run_id],
        )
    return [run_id for run_id, _ in gone]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def finish_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, counts: dict, message: str | None = None) -> None:
    """Record a run's end, its status and its counts."""
    con.execute(
        "UPDATE runs SET finished_at = ?, status = ?, counts = ?, message = ? WHERE run_id = ?",
        [_now(), status, json.dumps(counts, default=str), message, run_id],
    )


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
