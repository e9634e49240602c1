"""The fact-check library in the warehouse: storing fact-checks (imported, or the desk's own),
their embeddings, the claims that match them, and what people read of it."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.annotations import now
from warehouse.db import registered, run, sql
from warehouse.matching import _embedding_array, _vectors

CONTENT_FIELDS = (
    "claim_reviewed", "rating", "verdict", "publisher", "publisher_url", "url", "reviewed_at", "claim_date",
    "appearance_url", "claim_author", "language", "title", "rationale", "evidence_urls", "claim_id", "source",
)
FACT_CHECK_SCHEMA = pa.schema(
    [("fact_check_id", pa.string()), ("claim_reviewed", pa.string()), ("rating", pa.string()), ("verdict", pa.string()),
     ("publisher", pa.string()), ("publisher_url", pa.string()), ("url", pa.string()), ("reviewed_at", pa.date32()),
     ("claim_date", pa.date32()), ("appearance_url", pa.string()), ("claim_author", pa.string()), ("language", pa.string()),
     ("title", pa.string()), ("rationale", pa.string()), ("evidence_urls", pa.list_(pa.string())), ("claim_id", pa.string()),
     ("source", pa.string()), ("origin", pa.string()), ("content_hash", pa.string()),
     ("imported_at", pa.timestamp("us")), ("updated_at", pa.timestamp("us"))]
)
MATCH_SCHEMA = pa.schema(
    [("claim_id", pa.string()), ("fact_check_id", pa.string()), ("score", pa.float64()), ("rank", pa.int32()),
     ("features", pa.string()), ("method", pa.string()), ("matched_at", pa.timestamp("us")), ("run_id", pa.string())]
)


def content_hash(row: dict) -> str:
    """A hash of what a fact-check says (not where or when it was read)."""
    text = json.dumps([str(row.get(k)) if row.get(k) is not None else None for k in CONTENT_FIELDS])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@dataclass(frozen=True)
class Stored:
    new: int
    updated: int
    unchanged: int


def store_fact_checks(con: duckdb.DuckDBPyConnection, rows: Sequence[dict], source: str = "import",
                      at: datetime | None = None) -> Stored:
    """Add or update fact-checks (dicts of claims.factchecks.FIELDS; one per id): a new one is
    added, a changed one updated, an unchanged one left alone."""
    if not rows:
        return Stored(0, 0, 0)
    at = at or now()
    table = []
    for row in rows:
        row = {k: (list(v) if isinstance(v, tuple) else v) for k, v in row.items() if k in FACT_CHECK_SCHEMA.names}
        row["source"] = source
        table.append(row | {"content_hash": content_hash(row), "imported_at": at, "updated_at": at})
    with registered(con, batch=pa.Table.from_pylist(table, schema=FACT_CHECK_SCHEMA)):
        written = run(con, sql("upsert_fact_checks"))
    new = sum(1 for _, is_new in written if is_new)
    return Stored(new, len(written) - new, len(rows) - len(written))


def withdraw_desk_fact_checks(con: duckdb.DuckDBPyConnection, kept: Sequence[str]) -> list[str]:
    """Withdraw the desk's own fact-checks not in ``kept`` (their claim's verdict is no longer
    resolved: reopened, or its answers changed), with their vectors and matches; returns their ids."""
    with registered(con, kept=pa.table({"fact_check_id": pa.array(list(kept), pa.string())})):
        return [i for (i,) in con.execute(sql("withdraw_desk_fact_checks")).fetchall()]


def fact_checks_to_embed(con: duckdb.DuckDBPyConnection, encoder: str) -> list[tuple[str, str]]:
    """(id, claim reviewed) of the fact-checks without an embedding by ``encoder`` (or changed since)."""
    return con.execute(sql("fact_checks_to_embed"), {"encoder": encoder}).fetchall()


def store_fact_check_embeddings(con: duckdb.DuckDBPyConnection, encoder: str, ids: Sequence[str], vectors: np.ndarray) -> int:
    if not len(ids):
        return 0
    at = now()
    batch = pa.table({
        "fact_check_id": pa.array(list(ids), pa.string()), "encoder": pa.array([encoder] * len(ids), pa.string()),
        "vector": _embedding_array(vectors), "embedded_at": pa.array([at] * len(ids), pa.timestamp("us")),
    })
    with registered(con, batch=batch):
        return len(run(con, sql("upsert_fact_check_embeddings")))


@dataclass(frozen=True)
class Library:
    """The fact-checks as the lookup reads them: ids, texts and unit vectors, in id order."""

    ids: list[str]
    texts: list[str]
    vectors: np.ndarray
    new: np.ndarray         # bool: not looked up against the claims yet (or changed since)
    claim_ids: list[str | None]  # a desk fact-check's own claim (never its own match)


def library(con: duckdb.DuckDBPyConnection, encoder: str) -> Library:
    table = con.execute(sql("fact_check_library"), {"encoder": encoder}).fetch_arrow_table()
    return Library(
        ids=table.column("fact_check_id").to_pylist(), texts=table.column("text").to_pylist(),
        vectors=_vectors(table.column("vector")), new=np.array(table.column("new").to_pylist(), dtype=bool),
        claim_ids=table.column("claim_id").to_pylist(),
    )


@dataclass(frozen=True)
class Queries:
    """Every embedded claim as the lookup reads it, in claim id order."""

    claim_ids: list[str]
    contexts: list[str]     # each claim's passage: its words are what the lexical side reads
    vectors: np.ndarray
    new: np.ndarray         # bool: not looked up yet (or by another lookup model)
    shortlist_floor: np.ndarray  # the first score a new fact-check must beat to be read (NaN: any)


def claims_to_look_up(con: duckdb.DuckDBPyConnection, encoder: str, method: str) -> Queries:
    table = con.execute(sql("fact_check_claims"), {"encoder": encoder, "method": method}).fetch_arrow_table()
    return Queries(table.column("claim_id").to_pylist(), table.column("context").to_pylist(), _vectors(table.column("embedding")),
                   np.array(table.column("new").to_pylist(), dtype=bool),
                   np.array([np.nan if f is None else f for f in table.column("shortlist_floor").to_pylist()], dtype=np.float64))


def store_claim_fact_checks(con: duckdb.DuckDBPyConnection, claim_ids: Sequence[str], rows: list[dict]) -> int:
    """Replace the matches of these claims (looked up again) with ``rows``."""
    with registered(con, looked=pa.table({"claim_id": pa.array(list(claim_ids), pa.string())}),
                    batch=pa.Table.from_pylist(rows, schema=MATCH_SCHEMA)):
        con.execute(sql("replace_claim_fact_checks"))
    return len(rows)


def mark_looked_up(con: duckdb.DuckDBPyConnection, kind: str, ids: Sequence[str], method: str,
                   shortlist_floors: Sequence[float] | None = None) -> None:
    """Record these claims or fact-checks as looked up by ``method`` now (a claim with the first
    score a new fact-check must beat to enter its shortlist; NaN: any)."""
    if not len(ids):
        return
    at = now()
    floors = [None] * len(ids) if shortlist_floors is None else [None if np.isnan(f) else float(f) for f in shortlist_floors]
    batch = pa.table({"kind": pa.array([kind] * len(ids), pa.string()), "id": pa.array(list(ids), pa.string()),
                      "method": pa.array([method] * len(ids), pa.string()), "looked_at": pa.array([at] * len(ids), pa.timestamp("us")),
                      "shortlist_floor": pa.array(floors, pa.float64())})
    with registered(con, batch=batch):
        con.execute(sql("mark_looked_up"))


def fact_check_list(con: duckdb.DuckDBPyConnection, search: str | None, limit: int) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql("fact_check_list"), {"search": search, "limit": limit})
    return [d[0] for d in cursor.description], cursor.fetchall()


def fact_check_stats(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[tuple]]:
    cursor = con.execute(sql("fact_check_stats"))
    return [d[0] for d in cursor.description], cursor.fetchall()
