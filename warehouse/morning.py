"""The desk's morning list: the day's most check-worthy new claims grouped by story (the
related-article groups of matching), each marked "checked before" (with the fact-check's
rating) or "other sources say otherwise" where it applies. Read from the warehouse, kept in table
``morning_list``, and rendered as an HTML page beside the report."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from importlib import resources

import duckdb
import numpy as np
import pyarrow as pa

from warehouse.db import registered, sql

COLUMNS = (
    "list_date", "story", "story_articles", "rank", "claim_id", "claim", "score", "article_id", "article_title", "source",
    "published_at", "checked_rating", "checked_verdict", "checked_publisher", "checked_url", "checked_score", "says_otherwise",
    "otherwise_claim", "otherwise_source", "contradiction", "generated_at", "run_id",
)
SCHEMA = pa.schema(
    [("list_date", pa.date32()), ("story", pa.int32()), ("story_articles", pa.int32()), ("rank", pa.int32()),
     ("claim_id", pa.string()), ("claim", pa.string()), ("score", pa.float64()), ("article_id", pa.string()),
     ("article_title", pa.string()), ("source", pa.string()), ("published_at", pa.timestamp("us")),
     ("checked_rating", pa.string()), ("checked_verdict", pa.string()), ("checked_publisher", pa.string()),
     ("checked_url", pa.string()), ("checked_score", pa.float64()), ("says_otherwise", pa.bool_()),
     ("otherwise_claim", pa.string()), ("otherwise_source", pa.string()), ("contradiction", pa.float64()),
     ("generated_at", pa.timestamp("us")), ("run_id", pa.string())]
)


def stories(related: Sequence[tuple[str, str]], articles: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Each article -> (its story's key, the story's number of articles): the connected groups of
    the related article pairs; an article related to none is a story of its own."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    names = sorted(set(articles) | {a for pair in related for a in pair})
    index = {a: n for n, a in enumerate(names)}
    rows = np.array([index[a] for a, _ in related], np.int64)
    cols = np.array([index[b] for _, b in related], np.int64)
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(names), len(names)))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    return {a: (int(labels[index[a]]), int(sizes[labels[index[a]]])) for a in articles}


def build_list(candidates: Sequence[dict], related: Sequence[tuple[str, str]], day: date) -> list[dict]:
    """The day's list from its candidate claims (most check-worthy first): grouped by story, the
    stories in the order of their best claim, the claims of a story by score; ranks 1..n."""
    groups = stories(related, [c["article_id"] for c in candidates])
    order: dict[int, int] = {}
    for c in candidates:
        order.setdefault(groups[c["article_id"]][0], len(order) + 1)
    rows = sorted(candidates, key=lambda c: (order[groups[c["article_id"]][0]], -c["score"], c["claim_id"]))
    return [dict(c, list_date=day, story=order[groups[c["article_id"]][0]], story_articles=groups[c["article_id"]][1], rank=n)
            for n, c in enumerate(rows, 1)]


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time())
    return start, start + timedelta(days=1)


def candidates(con: duckdb.DuckDBPyConnection, day: date, *, threshold: float, limit: int, min_checked: float,
               may_contradict: float) -> list[dict]:
    """The claims of the articles ingested on ``day`` that may go on its list (morning_candidates.sql)."""
    start, end = day_bounds(day)
    cursor = con.execute(sql("morning_candidates"), {"start": start, "end": end, "threshold": threshold, "limit": limit,
                                                     "min_checked": min_checked, "may_contradict": may_contradict})
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r)) for r in cursor.fetchall()]


def related_pairs(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute(sql("related_articles")).fetchall()


def store(con: duckdb.DuckDBPyConnection, day: date, rows: list[dict], generated_at: datetime, run_id: str | None) -> int:
    """Replace the day's list with ``rows``."""
    table = [{k: r.get(k) for k in COLUMNS} | {"generated_at": generated_at, "run_id": run_id} for r in rows]
    if not table:  # an empty list still replaces the day's rows
        con.execute(sql("clear_morning_list"), {"day": day})
        return 0
    with registered(con, batch=pa.Table.from_pylist(table, schema=SCHEMA)):
        con.execute(sql("replace_morning_list"))
    return len(table)


def render(day: date, rows: list[dict], generated_at: datetime) -> str:
    """The list as an HTML page (escaped)."""
    from jinja2 import Environment, select_autoescape

    template = resources.files("warehouse").joinpath("templates", "morning.html.j2").read_text(encoding="utf-8")
    env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))
    grouped: dict[int, list[dict]] = {}
    for r in rows:
        grouped.setdefault(r["story"], []).append(r)
    return env.from_string(template).render(day=day.isoformat(), generated_at=generated_at.strftime("%Y-%m-%d %H:%M"),
                                            stories=list(grouped.values()), claims=len(rows))
