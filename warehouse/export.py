"""Exports of the warehouse: every table and view as Parquet or CSV, and schema.org ClaimReview
JSON-LD for the resolved verdicts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from claims.normalize import web_url
from warehouse.db import sql

FORMATS = {"parquet": "(FORMAT parquet)", "csv": "(FORMAT csv, HEADER true)"}
# reviewRating on a 1-5 scale (worst 1, best 5): how true the claim was found.
RATINGS = {
    "supported": (5, "Supported"),
    "misleading": (2, "Misleading"),
    "refuted": (1, "Refuted"),
    "not_enough_info": (3, "Not enough information"),
    "not_checkable": (3, "Not checkable"),
}
BEST, WORST = 5, 1


def relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(name, 'BASE TABLE' or 'VIEW') of every table and view to export."""
    return [(name, kind) for name, kind in con.execute(sql("exportable_relations")).fetchall()]


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def export_relations(con: duckdb.DuckDBPyConnection, out_dir: str | Path, fmt: str) -> list[tuple[str, int, Path]]:
    """Write each table and view to ``out_dir/<name>.<fmt>``; return (name, rows, path) each."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, _ in relations(con):
        path = out / f"{name}.{fmt}"
        target = str(path).replace("'", "''")
        rows = con.execute(f"COPY (SELECT * FROM {_quoted(name)}) TO '{target}' {FORMATS[fmt]}").fetchone()[0]
        written.append((name, rows, path))
    return written


@dataclass(frozen=True)
class Publisher:
    """Who publishes the reviews: the organisation, and the base of each review's URL."""

    organization: str
    base_url: str
    organization_url: str | None = None

    def author(self) -> dict:
        url = web_url(self.organization_url)
        return {"@type": "Organization", "name": self.organization} | ({"url": url} if url else {})


def _date(value: datetime | None) -> str | None:
    return value.date().isoformat() if value is not None else None


def claim_review(row: dict, publisher: Publisher) -> dict:
    """One schema.org ClaimReview from a row of ``claim_reviews.sql``."""
    value, name = RATINGS[row["verdict"]]
    appearance = {"@type": "CreativeWork"}
    appearance |= {k: v for k, v in (("url", web_url(row["article_url"])), ("headline", row["article_title"])) if v}
    claim = {"@type": "Claim", "appearance": appearance}
    if row["article_published_at"] is not None:
        claim["datePublished"] = _date(row["article_published_at"])
    if row["article_source"]:
        claim["author"] = {"@type": "Organization", "name": row["article_source"]}
    review = {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": publisher.base_url + row["claim_id"],
        "claimReviewed": row["claim"],
        "itemReviewed": claim,
        "author": publisher.author(),
        "datePublished": _date(row["reviewed_at"]),
        "reviewRating": {
            "@type": "Rating", "alternateName": name, "ratingValue": value, "bestRating": BEST, "worstRating": WORST,
        },
    }
    if row.get("rationale"):
        review["reviewBody"] = row["rationale"]
    if based_on := [url for url in map(web_url, row.get("evidence_urls") or []) if url]:
        review["isBasedOn"] = [{"@type": "CreativeWork", "url": url} for url in based_on]
    return review


# JSON-LD is published inside <script type="application/ld+json">: a "</script>" or "<!--" in any
# string would end or change that block, and "&" matters to an XHTML page. JSON has these
# characters only inside strings, where their \u escapes read back the same.
_SCRIPT_SAFE = str.maketrans({"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"})


def json_ld(items) -> str:
    """``items`` as JSON-LD text that is safe to paste into a ``<script type="application/ld+json">``
    block: ``<``, ``>`` and ``&`` written as ``\\u003c``, ``\\u003e`` and ``\\u0026``, still valid JSON
    that parses back to the same strings."""
    return json.dumps(items, ensure_ascii=False, indent=2).translate(_SCRIPT_SAFE)


# The default of CLAIMFLOW_CLAIMREVIEW_BASE_URL: a placeholder no reader can open.
PLACEHOLDER_BASE_URL = "https://claimflow.example/claims/"


def publisher_warnings(publisher: Publisher) -> list[str]:
    """What a published ClaimReview would lack with these settings, in words."""
    out = []
    if publisher.base_url == PLACEHOLDER_BASE_URL:
        out.append(f"each ClaimReview's url is the placeholder {PLACEHOLDER_BASE_URL}<claim id>: set CLAIMFLOW_CLAIMREVIEW_BASE_URL "
                   "to where the desk publishes its fact-checks")
    if not publisher.organization_url:
        out.append("the author has no url: set CLAIMFLOW_CLAIMREVIEW_ORGANIZATION_URL to the desk's web site")
    return out


def claim_review_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    """The rows of ``claim_reviews.sql``: one per resolved verdict."""
    cursor = con.execute(sql("claim_reviews"))
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, r)) for r in cursor.fetchall()]


def claim_reviews(con: duckdb.DuckDBPyConnection, publisher: Publisher) -> list[dict]:
    return [claim_review(row, publisher) for row in claim_review_rows(con)]


def write_claim_reviews(con: duckdb.DuckDBPyConnection, out: str | Path, publisher: Publisher) -> tuple[int, Path]:
    """Write the ClaimReviews as one JSON-LD array to ``out`` (a .json or .jsonld file, else
    ``claimreview.jsonld`` in the folder ``out``); return how many, and the file."""
    path = Path(out)
    if path.is_dir() or path.suffix.lower() not in (".json", ".jsonld"):
        path = path / "claimreview.jsonld"
    path.parent.mkdir(parents=True, exist_ok=True)
    items = claim_reviews(con, publisher)
    path.write_text(json_ld(items) + "\n", encoding="utf-8")
    return len(items), path
