"""Articles and claims as Arrow tables, in the warehouse's column layout."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from datetime import datetime

import pyarrow as pa

from claims.extract import Claim
from claims.sources import Article

_WORD = re.compile(r"\w+")

ARTICLE_SCHEMA = pa.schema(
    [
        ("article_id", pa.string()),
        ("title", pa.string()),
        ("url", pa.string()),
        ("source", pa.string()),
        ("published_at", pa.timestamp("us")),
        ("text", pa.string()),
        ("n_chars", pa.int32()),
        ("n_words", pa.int32()),
        ("source_path", pa.string()),
        ("source_line", pa.int32()),
        ("format", pa.string()),
        ("ingested_at", pa.timestamp("us")),
        ("run_id", pa.string()),
        ("language", pa.string()),
        ("page_chars", pa.int32()),
    ]
)

CLAIM_SCHEMA = pa.schema(
    [
        ("claim_id", pa.string()),
        ("article_id", pa.string()),
        ("seq", pa.int32()),
        ("start_char", pa.int32()),
        ("end_char", pa.int32()),
        ("text", pa.string()),
        ("block_kind", pa.string()),
        ("score", pa.float64()),
        ("claim_type", pa.string()),
        ("entities", pa.string()),
        ("context_start", pa.int32()),
        ("context_end", pa.int32()),
        ("features", pa.string()),
        ("scorer", pa.string()),
        ("model", pa.string()),
        ("extracted_at", pa.timestamp("us")),
        ("run_id", pa.string()),
    ]
)


def articles_table(articles: Iterable[Article], *, run_id: str, at: datetime) -> pa.Table:
    rows = [
        {
            "article_id": a.article_id,
            "title": a.title,
            "url": a.url,
            "source": a.source,
            "published_at": a.published_at,
            "text": a.text,
            "n_chars": len(a.text),
            "n_words": len(_WORD.findall(a.text)),
            "source_path": a.source_path,
            "source_line": a.source_line,
            "format": a.format,
            "ingested_at": at,
            "run_id": run_id,
            "language": a.language,
            "page_chars": a.page_chars,
        }
        for a in articles
    ]
    return pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA)


def claims_table(claims: Iterable[Claim], *, run_id: str, at: datetime) -> pa.Table:
    rows = [
        {
            "claim_id": c.claim_id,
            "article_id": c.article_id,
            "seq": c.seq,
            "start_char": c.start,
            "end_char": c.end,
            "text": c.text,
            "block_kind": c.block_kind,
            "score": c.score,
            "claim_type": c.claim_type,
            "entities": json.dumps(c.entities, ensure_ascii=False),
            "context_start": c.context_start,
            "context_end": c.context_end,
            "features": json.dumps(c.features),
            "scorer": c.scorer,
            "model": c.model,
            "extracted_at": at,
            "run_id": run_id,
        }
        for c in claims
    ]
    return pa.Table.from_pylist(rows, schema=CLAIM_SCHEMA)
