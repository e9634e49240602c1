"""Loads for the match step: embeddings of claims and article titles (once per encoder), the
claims the matcher reads, the pairs it found and which claims it has matched."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.annotations import now
from warehouse.db import registered, run, sql

PAIR_SCHEMA = pa.schema(
    [("pair_id", pa.string()), ("claim_id_a", pa.string()), ("claim_id_b", pa.string()), ("article_id_a", pa.string()),
     ("article_id_b", pa.string()), ("similarity", pa.float64()), ("contradiction", pa.float64()), ("relation", pa.string()),
     ("cosine", pa.float64()), ("reasons", pa.string()), ("features", pa.string()), ("matcher", pa.string()),
     ("encoder", pa.string()), ("matched_at", pa.timestamp("us")), ("run_id", pa.string())]
)


ARTICLE_PAIR_SCHEMA = pa.schema(
    [("article_id_a", pa.string()), ("article_id_b", pa.string()), ("relatedness", pa.float64()), ("related", pa.bool_()),
     ("features", pa.string()), ("matcher", pa.string()), ("matched_at", pa.timestamp("us")), ("run_id", pa.string())]
)


def _vectors(column: pa.ChunkedArray | pa.Array, dim: int | None = None) -> np.ndarray:
    """A list<float> column as an (n, d) float32 array."""
    array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    n = len(array)
    if n == 0:
        return np.zeros((0, dim or 0), dtype=np.float32)
    flat = array.flatten().to_numpy(zero_copy_only=False).astype(np.float32, copy=False)
    return flat.reshape(n, len(flat) // n)


def _embedding_array(vectors: np.ndarray) -> pa.Array:
    """An (n, d) array as n fixed-size lists of d floats (cast to FLOAT[] on insert)."""
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    return pa.FixedSizeListArray.from_arrays(pa.array(vectors.reshape(-1)), vectors.shape[1])


def claims_to_embed(con: duckdb.DuckDBPyConnection, encoder: str) -> list[tuple[str, str]]:
    """(claim id, text) of the claims without an embedding by ``encoder``."""
    return con.execute(sql("claims_to_embed"), {"encoder": encoder}).fetchall()


def articles_to_embed(con: duckdb.DuckDBPyConnection, encoder: str) -> list[tuple]:
    """(article id, title, text, published_at) of the articles without a title embedding."""
    return con.execute(sql("articles_to_embed"), {"encoder": encoder}).fetchall()


def store_claim_embeddings(
    con: duckdb.DuckDBPyConnection, encoder: str, claim_ids: Sequence[str], vectors: np.ndarray, run_id: str
) -> int:
    if not len(claim_ids):
        return 0
    at = now()
    batch = pa.table({
        "claim_id": pa.array(list(claim_ids), pa.string()), "encoder": pa.array([encoder] * len(claim_ids), pa.string()),
        "embedding": _embedding_array(vectors), "embedded_at": pa.array([at] * len(claim_ids), pa.timestamp("us")),
        "run_id": pa.array([run_id] * len(claim_ids), pa.string()),
    })
    with registered(con, batch=batch):
        return len(run(con, sql("insert_claim_embeddings")))


def store_article_embeddings(
    con: duckdb.DuckDBPyConnection, encoder: str, article_ids: Sequence[str], vectors: np.ndarray,
    years: Sequence[Sequence[int]], run_id: str,
) -> int:
    if not len(article_ids):
        return 0
    at = now()
    batch = pa.table({
        "article_id": pa.array(list(article_ids), pa.string()), "encoder": pa.array([encoder] * len(article_ids), pa.string()),
        "title_embedding": _embedding_array(vectors), "event_years": pa.array([sorted(y) for y in years], pa.list_(pa.int32())),
        "embedded_at": pa.array([at] * len(article_ids), pa.timestamp("us")),
        "run_id": pa.array([run_id] * len(article_ids), pa.string()),
    })
    with registered(con, batch=batch):
        return len(run(con, sql("insert_article_embeddings")))


def unmatched_count(con: duckdb.DuckDBPyConnection) -> int:
    """How many claims have not been matched yet."""
    return con.execute(sql("unmatched_count")).fetchone()[0]


def stale_pairs(con: duckdb.DuckDBPyConnection, matcher: str) -> list[tuple[str, str]]:
    """(claim_id_a, claim_id_b) of the pairs scored by another matcher."""
    return con.execute(sql("stale_pairs"), {"matcher": matcher}).fetchall()


def resolved_pair_relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(claim_id_a, claim_id_b, relation) of the pairs people resolved."""
    return con.execute(sql("resolved_pair_relations")).fetchall()


@dataclass(frozen=True)
class MatchInputs:
    """Every embedded claim, as the matcher reads it."""

    claim_ids: list[str]
    article_ids: list[str]
    texts: list[str]
    contexts: list[str]                # each claim's passage
    entities: list[str | None]         # JSON
    vectors: np.ndarray
    title_vectors: np.ndarray
    event_years: list[list[int]]
    matched: np.ndarray                # bool: matched by an earlier run


def match_inputs(con: duckdb.DuckDBPyConnection, encoder: str) -> MatchInputs:
    table = con.execute(sql("match_inputs"), {"encoder": encoder}).fetch_arrow_table()
    return MatchInputs(
        claim_ids=table.column("claim_id").to_pylist(),
        article_ids=table.column("article_id").to_pylist(),
        texts=table.column("text").to_pylist(),
        contexts=table.column("context").to_pylist(),
        entities=table.column("entities").to_pylist(),
        vectors=_vectors(table.column("embedding")),
        title_vectors=_vectors(table.column("title_embedding")),
        event_years=table.column("event_years").to_pylist(),
        matched=np.array(table.column("matched").to_pylist(), dtype=bool),
    )


def store_pairs(con: duckdb.DuckDBPyConnection, rows: list[dict], *, rescore: bool = False) -> tuple[int, int]:
    """Add pairs (rows of :data:`PAIR_SCHEMA`'s columns); with ``rescore``, pairs already stored
    get the new scores, else they are left as they are. Returns (pairs new, pairs updated)."""
    if not rows:
        return 0, 0
    with registered(con, batch=pa.Table.from_pylist(rows, schema=PAIR_SCHEMA)):
        existing = con.execute(sql("pairs_present")).fetchone()[0]
        written = len(run(con, sql("rescore_pairs" if rescore else "insert_pairs")))
    return (written - existing, existing) if rescore else (written, 0)


def match_articles(con: duckdb.DuckDBPyConnection, encoder: str) -> tuple[list[str], list[str]]:
    """(article ids, their title and text) of every article with a claim embedded by ``encoder``,
    in article id order."""
    rows = con.execute(sql("match_articles"), {"encoder": encoder}).fetchall()
    return [r[0] for r in rows], [r[1] for r in rows]


def store_article_pairs(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> int:
    """Add or update article pairs (rows of :data:`ARTICLE_PAIR_SCHEMA`'s columns)."""
    if not rows:
        return 0
    with registered(con, batch=pa.Table.from_pylist(rows, schema=ARTICLE_PAIR_SCHEMA)):
        return len(run(con, sql("upsert_article_pairs")))


def mark_matched(
    con: duckdb.DuckDBPyConnection, claim_ids: list[str], *, matcher: str, encoder: str, run_id: str
) -> int:
    """Record that these claims were matched, by this matcher and encoder."""
    if not claim_ids:
        return 0
    at, ids = now(), list(claim_ids)
    batch = pa.table({
        "claim_id": pa.array(ids, pa.string()), "matcher": pa.array([matcher] * len(ids), pa.string()),
        "encoder": pa.array([encoder] * len(ids), pa.string()),
        "matched_at": pa.array([at] * len(ids), pa.timestamp("us")), "run_id": pa.array([run_id] * len(ids), pa.string()),
    })
    with registered(con, batch=batch):
        return len(run(con, sql("mark_matched")))


def forget_matches(con: duckdb.DuckDBPyConnection) -> int:
    """Every claim counts as not matched again (``claimflow match --rematch``); pairs stay."""
    return len(run(con, sql("forget_matches")))
