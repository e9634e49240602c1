"""Published fact-checks as records: schema.org ClaimReview (JSON-LD: an array, one object, JSON
Lines, an HTML page's ``<script type="application/ld+json">`` blocks, ``@graph`` too), the Google
Fact Check Tools API's JSON (``claims[].claimReview[]``), and CSV or TSV with named columns.

Pure reading: :func:`read_fact_checks` yields a :class:`FactCheck` per record and a
:class:`Problem` (file, line, field, what is wrong) per record it cannot take, so a caller can
store the good ones and report the others in one line each. Ratings are free text in the wild
("Pants on Fire", "Four Pinocchios", "Mostly false"): :func:`verdict_of` maps the common ones to
claimflow's verdicts with the table in ``claims/ratings.csv``, and the original is kept.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from html.parser import HTMLParser
from pathlib import Path

RATINGS_TABLE = Path(__file__).resolve().parent / "ratings.csv"
VERDICTS = ("supported", "misleading", "refuted", "not_enough_info")
FIELDS = (
    "fact_check_id", "claim_reviewed", "rating", "verdict", "publisher", "publisher_url", "url", "reviewed_at",
    "claim_date", "appearance_url", "claim_author", "language", "title", "rationale", "evidence_urls", "origin",
)
# CSV/TSV columns: each field and the header names it may go by (lower case, spaces as _).
CSV_COLUMNS = {
    "claim_reviewed": ("claim_reviewed", "claimreviewed", "claim", "text"),
    "rating": ("rating", "textualrating", "textual_rating", "alternatename", "verdict"),
    "publisher": ("publisher", "author", "organisation", "organization"),
    "publisher_url": ("publisher_url", "publisher_site", "site"),
    "url": ("url", "review_url", "fact_check_url"),
    "reviewed_at": ("reviewed_at", "date", "review_date", "datepublished", "date_published"),
    "claim_date": ("claim_date", "claimdate"),
    "appearance_url": ("appearance_url", "appearance", "claim_url"),
    "claim_author": ("claim_author", "claimant"),
    "language": ("language", "languagecode", "inlanguage", "lang"),
    "title": ("title", "headline"),
}


@dataclass(frozen=True)
class FactCheck:
    """One published review of one claim."""

    fact_check_id: str
    claim_reviewed: str
    rating: str | None          # as published ("Pants on Fire", "2/5")
    verdict: str | None         # on claimflow's scale (VERDICTS), None where the rating does not map
    publisher: str | None
    publisher_url: str | None
    url: str
    reviewed_at: date | None
    claim_date: date | None
    appearance_url: str | None  # where the claim was seen
    claim_author: str | None    # who made the claim
    language: str | None
    title: str | None           # the review's headline, where given
    origin: str                 # the file and line it was read from
    rationale: str | None = None           # the review's body (reviewBody)
    evidence_urls: tuple[str, ...] = ()    # what it rests on (isBasedOn, citation)

    def row(self) -> dict:
        return {name: getattr(self, name) for name in FIELDS}


@dataclass(frozen=True)
class Problem:
    """A record that cannot be taken, and why."""

    path: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line is not None else self.path
        return f"{where}: {self.field + ': ' if self.field else ''}{self.message}"


class FactCheckError(ValueError):
    """A record's field is missing or unreadable (the field's name, then the message)."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def fact_check_id(url: str, claim: str) -> str:
    """A fact-check's id: a hash of its review URL and the claim it reviews (a page may review
    several claims), each normalised, so a re-import finds the same row."""
    key = f"{_norm_url(url)}\n{' '.join(claim.lower().split())}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


def _norm_url(url: str) -> str:
    url = url.strip()
    url = re.sub(r"^https?://", "", url, flags=re.I)
    url = re.sub(r"^www\.", "", url, flags=re.I)
    return url.rstrip("/").split("#")[0]


# -- ratings ---------------------------------------------------------------------------------

def _norm_rating(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9%/ ]+", " ", text.lower().replace("\u2019", "'").replace("'", "")).split())


@lru_cache(maxsize=1)
def rating_table() -> tuple[dict[str, str], tuple[tuple[str, str], ...]]:
    """(exact ratings, (word, verdict) rules in order) from ``claims/ratings.csv``."""
    exact: dict[str, str] = {}
    contains: list[tuple[str, str]] = []
    with open(RATINGS_TABLE, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(line for line in f if not line.startswith("#")):
            verdict = row["verdict"].strip()
            if verdict not in VERDICTS:
                raise ValueError(f"{RATINGS_TABLE}: rating {row['rating']!r}: unknown verdict {verdict!r}")
            key = _norm_rating(row["rating"])
            if row["match"].strip() == "contains":
                contains.append((key, verdict))
            else:
                exact[key] = verdict
    return exact, tuple(contains)


def verdict_of(rating: str | None) -> str | None:
    """claimflow's verdict for a published rating: the table's exact entry, else its first
    ``contains`` rule whose words the rating holds, else a ``value/best`` scale position; None
    where nothing maps (the rating is kept as published all the same)."""
    if not rating:
        return None
    key = _norm_rating(rating)
    exact, contains = rating_table()
    if key in exact:
        return exact[key]
    padded = f" {key} "
    for words, verdict in contains:
        if f" {words} " in padded:
            return verdict
    scale = re.fullmatch(r"(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)", key)
    if scale:
        return _scale_verdict(float(scale.group(1)), 1.0, float(scale.group(2)))
    return None


def _scale_verdict(value: float, worst: float, best: float) -> str | None:
    """A rating's position on its scale (worst 0, best 1) as a verdict: the bottom quarter
    refuted, from three quarters up supported, between misleading (ClaimReview's 1-5: 1 false, 2 and 3
    misleading, 4 and 5 supported)."""
    if best == worst:
        return None
    position = (value - worst) / (best - worst)
    if not 0.0 <= position <= 1.0:
        return None
    return "refuted" if position < 0.25 else "supported" if position >= 0.75 else "misleading"


# -- reading -----------------------------------------------------------------------------------

def read_fact_checks(path: str | Path) -> Iterator[FactCheck | Problem]:
    """Every fact-check of one file, by its suffix: ``.jsonl``/``.ndjson`` (one JSON value a
    line), ``.json``/``.jsonld``, ``.html``/``.htm``, ``.csv``, ``.tsv``."""
    path = Path(path)
    suffix = path.suffix.lower()
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        yield Problem(name, None, None, f"cannot read: {exc}")
        return
    if suffix in (".jsonl", ".ndjson"):
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                value = json.loads(line)
            except ValueError as exc:
                yield Problem(name, number, None, f"not JSON: {exc}")
                continue
            yield from _from_json(value, name, number, strict=True)
    elif suffix in (".json", ".jsonld"):
        try:
            value = json.loads(text)
        except ValueError as exc:
            yield Problem(name, getattr(exc, "lineno", None), None, f"not JSON: {exc}")
            return
        yield from _from_json(value, name, None, strict=True)
    elif suffix in (".html", ".htm"):
        for number, block in _ld_json_blocks(text):
            try:
                value = json.loads(block)
            except ValueError as exc:
                yield Problem(name, number, None, f"a ld+json block is not JSON: {exc}")
                continue
            yield from _from_json(value, name, number, strict=False)  # pages carry other JSON-LD too
    elif suffix in (".csv", ".tsv"):
        yield from _from_csv(text, name, "\t" if suffix == ".tsv" else ",")
    else:
        yield Problem(name, None, None, "unknown format: give a .jsonl, .json, .jsonld, .html, .csv or .tsv file")


def _from_json(value, path: str, line: int | None, *, strict: bool) -> Iterator[FactCheck | Problem]:
    """The fact-checks of a parsed JSON value: a ClaimReview, a list of them, an ``@graph``, or
    the Google Fact Check Tools API's ``{"claims": [...]}`` (or one of its claims). With
    ``strict``, a value that is none of these is a problem; without, it is skipped."""
    for item, where in _items(value, line):
        kind = _types(item)
        try:
            if "ClaimReview" in kind:
                yield claim_review(item, f"{path}:{where}" if where else path)
            elif "claimReview" in item:  # the API's claim with its reviews
                yield from google_claim(item, f"{path}:{where}" if where else path)
            elif strict:
                yield Problem(path, where, "@type", f"not a ClaimReview (found {', '.join(sorted(kind)) or 'no @type'})")
        except FactCheckError as exc:
            yield Problem(path, where, exc.field, str(exc))


def _items(value, line: int | None) -> Iterator[tuple[dict, int | None]]:
    if isinstance(value, list):
        for item in value:
            yield from _items(item, line)
    elif isinstance(value, dict):
        if "@graph" in value and isinstance(value["@graph"], list):
            yield from _items(value["@graph"], line)
        elif "claims" in value and isinstance(value["claims"], list) and "@type" not in value:
            yield from _items(value["claims"], line)
        else:
            yield value, line


def _types(item: dict) -> set[str]:
    kind = item.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return {str(k).rsplit("/", 1)[-1] for k in kinds if k}


def _text(value) -> str | None:
    """A text field: a string, or a schema.org object's name, or the first of a list."""
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value") or value.get("url")
    if value is None:
        return None
    text = " ".join(str(value).split())
    return text or None


def _url_of(value) -> str | None:
    if isinstance(value, list):
        value = next((v for v in value if v), None)
    if isinstance(value, dict):
        value = value.get("url") or value.get("@id")
    return _text(value)


def _date(value, field: str) -> date | None:
    text = _text(value)
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        pass
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise FactCheckError(field, f"not a date: {text[:40]!r}")


def _required(value, field: str) -> str:
    text = _text(value)
    if not text:
        raise FactCheckError(field, "missing")
    return text


def _rating_text(rating) -> str | None:
    """A reviewRating as published: its alternateName (or name), else ``value/best``."""
    if isinstance(rating, list):
        rating = next((r for r in rating if r), None)
    if not isinstance(rating, dict):
        return _text(rating)
    named = _text(rating.get("alternateName")) or _text(rating.get("name"))
    if named:
        return named
    value = rating.get("ratingValue")
    if value in (None, ""):
        return None
    best = rating.get("bestRating", 5)
    return f"{value}/{best}"


def _rating_verdict(rating, text: str | None) -> str | None:
    verdict = verdict_of(text)
    named = isinstance(rating, dict) and (_text(rating.get("alternateName")) or _text(rating.get("name")))
    # A named rating that maps to nothing ("Not checkable", "Falso") keeps no verdict: its number
    # is the publisher's scale for that name, not a verdict of ours.
    if verdict is None and not named and isinstance(rating, dict) and rating.get("ratingValue") not in (None, ""):
        try:
            return _scale_verdict(float(rating["ratingValue"]), float(rating.get("worstRating", 1)), float(rating.get("bestRating", 5)))
        except (TypeError, ValueError):
            raise FactCheckError("reviewRating", f"ratingValue {rating['ratingValue']!r} is not a number") from None
    return verdict


def claim_review(item: dict, origin: str) -> FactCheck:
    """A schema.org ClaimReview object as a FactCheck."""
    url = _required(item.get("url") or item.get("@id"), "url")
    claim = _required(item.get("claimReviewed"), "claimReviewed")
    reviewed = item.get("itemReviewed") if isinstance(item.get("itemReviewed"), dict) else {}
    rating = item.get("reviewRating")
    text = _rating_text(rating)
    author = item.get("author") or item.get("publisher")
    return FactCheck(
        fact_check_id=fact_check_id(url, claim), claim_reviewed=claim, rating=text, verdict=_rating_verdict(rating, text),
        publisher=_text(author), publisher_url=_url_of(author) if isinstance(author, dict) else None, url=url,
        reviewed_at=_date(item.get("datePublished") or item.get("dateCreated"), "datePublished"),
        claim_date=_date(reviewed.get("datePublished"), "itemReviewed.datePublished"),
        appearance_url=_url_of(reviewed.get("appearance") or reviewed.get("firstAppearance")),
        claim_author=_text(reviewed.get("author")), language=_text(item.get("inLanguage")),
        title=_text(item.get("name") or item.get("headline")), origin=origin, rationale=_text(item.get("reviewBody")),
        evidence_urls=tuple(u for u in (_url_of(x) for x in _listed(item.get("isBasedOn")) + _listed(item.get("citation"))) if u),
    )


def _listed(value) -> list:
    return value if isinstance(value, list) else [value] if value else []


def google_claim(item: dict, origin: str) -> Iterator[FactCheck]:
    """A claim of the Google Fact Check Tools API (``text``, ``claimant``, ``claimDate``,
    ``claimReview[]``) as one FactCheck per review."""
    claim = _required(item.get("text"), "text")
    reviews = item.get("claimReview") or []
    if not isinstance(reviews, list) or not reviews:
        raise FactCheckError("claimReview", "no review")
    for review in reviews:
        if not isinstance(review, dict):
            raise FactCheckError("claimReview", "not an object")
        url = _required(review.get("url"), "claimReview.url")
        text = _text(review.get("textualRating"))
        publisher = review.get("publisher") if isinstance(review.get("publisher"), dict) else {}
        yield FactCheck(
            fact_check_id=fact_check_id(url, claim), claim_reviewed=claim, rating=text, verdict=verdict_of(text),
            publisher=_text(publisher.get("name")) or _text(publisher.get("site")), publisher_url=_text(publisher.get("site")),
            url=url, reviewed_at=_date(review.get("reviewDate"), "claimReview.reviewDate"),
            claim_date=_date(item.get("claimDate"), "claimDate"), appearance_url=None, claim_author=_text(item.get("claimant")),
            language=_text(review.get("languageCode")), title=_text(review.get("title")), origin=origin,
        )


def _from_csv(text: str, path: str, delimiter: str) -> Iterator[FactCheck | Problem]:
    reader = csv.DictReader(text.splitlines(), delimiter=delimiter)
    header = {(h or "").strip().lower().replace(" ", "_"): h for h in reader.fieldnames or []}
    column = {field: next((header[n] for n in names if n in header), None) for field, names in CSV_COLUMNS.items()}
    for field in ("claim_reviewed", "url"):
        if column[field] is None:
            yield Problem(path, 1, field, f"no column for it (one of: {', '.join(CSV_COLUMNS[field])})")
            return
    for number, row in enumerate(reader, 2):
        get = lambda field: _text(row.get(column[field])) if column[field] else None  # noqa: E731
        try:
            url, claim = _required(get("url"), "url"), _required(get("claim_reviewed"), "claim_reviewed")
            rating = get("rating")
            yield FactCheck(
                fact_check_id=fact_check_id(url, claim), claim_reviewed=claim, rating=rating, verdict=verdict_of(rating),
                publisher=get("publisher"), publisher_url=get("publisher_url"), url=url,
                reviewed_at=_date(get("reviewed_at"), "reviewed_at"), claim_date=_date(get("claim_date"), "claim_date"),
                appearance_url=get("appearance_url"), claim_author=get("claim_author"), language=get("language"),
                title=get("title"), origin=f"{path}:{number}",
            )
        except FactCheckError as exc:
            yield Problem(path, number, exc.field, str(exc))


class _LdJson(HTMLParser):
    """The text of each ``<script type="application/ld+json">`` block, with its line."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[int, str]] = []
        self._open: tuple[int, list[str]] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "script" and (dict(attrs).get("type") or "").strip().lower() == "application/ld+json":
            self._open = (self.getpos()[0], [])

    def handle_data(self, data):
        if self._open is not None:
            self._open[1].append(data)

    def handle_endtag(self, tag):
        if tag == "script" and self._open is not None:
            self.blocks.append((self._open[0], "".join(self._open[1])))
            self._open = None


def _ld_json_blocks(html: str) -> list[tuple[int, str]]:
    parser = _LdJson()
    parser.feed(html)
    parser.close()
    return parser.blocks


def dedupe(records: Iterable[FactCheck]) -> list[FactCheck]:
    """One record per id, the last read winning (a file that repeats a review updates it)."""
    return list({r.fact_check_id: r for r in records}.values())
