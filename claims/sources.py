"""Read articles from files: .txt, .md, .html/.htm and .jsonl (one article per line).

Every problem becomes a :class:`~claims.errors.SourceError` naming the file (and the line of a
.jsonl file); reading goes on with the next file or line, so one broken input never stops the
others.

What one article may cost is bounded twice: its size in bytes (``max_bytes``) and its lines
(``max_lines``). Each non-empty line is a block that spaCy reads as a text of its own, so an
article of many short lines costs far more than its size says (200,000 lines of 2 MB took
minutes and, before sentences stopped holding their Docs, 2 GB).
"""

from __future__ import annotations

import codecs
import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timezone
from pathlib import Path

from claims.blocks import split_blocks, title_of
from claims.errors import SourceError
from claims.language import UNDETERMINED, detect_language
from claims.normalize import article_id, normalize_text, strip_controls
from claims.paths import Skipped, iter_inputs as _iter_inputs

TEXT_SUFFIXES = {".txt", ".md", ".markdown"}
HTML_SUFFIXES = {".html", ".htm"}
JSONL_SUFFIXES = {".jsonl", ".ndjson"}
SUPPORTED = TEXT_SUFFIXES | HTML_SUFFIXES | JSONL_SUFFIXES
META_FIELDS = ("title", "url", "source", "published_at")
# A news article has tens of lines, a long report a few thousand.
MAX_LINES = 20_000


@dataclass(frozen=True, slots=True)
class Article:
    """One normalised article, ready for extraction. ``text`` is what offsets point into."""

    article_id: str
    text: str
    title: str | None
    url: str | None
    source: str | None
    published_at: datetime | None
    source_path: str
    source_line: int | None
    format: str
    language: str = UNDETERMINED  # ISO 639-1, detected from the text (claims.language)
    page_chars: int | None = None  # an HTML page's text, all of it: what extraction chose from


def expand_paths(args: Iterable[str | os.PathLike]) -> tuple[list[Path], list[SourceError]]:
    """The files to read from files, folders and glob patterns, and errors for the rest (see
    :func:`iter_inputs` for the stream, with what was passed over on purpose).

    Folders are searched recursively for supported files; a file named explicitly must have a
    supported suffix; a pattern that matches nothing, or a path that does not exist, is an error.
    """
    files: list[Path] = []
    errors: list[SourceError] = []
    for item in iter_inputs(args):
        if isinstance(item, Path):
            files.append(item)
        elif isinstance(item, SourceError):
            errors.append(item)
    return files, errors


def iter_inputs(args: Iterable[str | os.PathLike]) -> Iterator[Path | SourceError | Skipped]:
    """The files to read, streamed, with a :class:`SourceError` for each argument that cannot be
    read and a :class:`~claims.paths.Skipped` for what is passed over on purpose (link loops,
    files of other types); the rules are in :mod:`claims.paths`."""
    return _iter_inputs(args, SUPPORTED)


def read_articles(
    paths: Iterable[Path], max_bytes: int, max_lines: int = MAX_LINES, *, languages: bool = True
) -> Iterator[Article | SourceError]:
    """Yield an :class:`Article` for every article in the files, or a :class:`SourceError`
    (an article over ``max_bytes`` bytes or ``max_lines`` non-empty lines among them). Without
    ``languages`` the articles' language is left undetermined, for :func:`with_language` to tell
    later (the detector's model takes most of a second to load: not worth it for articles
    already in the warehouse)."""
    for path in paths:
        try:
            yield from _read_file(path, max_bytes, max_lines, languages)
        except SourceError as err:
            yield err
        except OSError as err:
            yield SourceError(str(path), f"cannot read: {err.strerror or err}")
        except Exception as err:  # a failure in one file stays in that file, whatever it is
            yield SourceError(str(path), f"cannot read: {type(err).__name__}: {err}")


def _read_file(path: Path, max_bytes: int, max_lines: int, languages: bool = True) -> Iterator[Article | SourceError]:
    suffix = path.suffix.lower()
    size = path.stat().st_size
    if size == 0:
        raise SourceError(str(path), "file is empty")
    if suffix not in JSONL_SUFFIXES and size > max_bytes:
        raise SourceError(str(path), f"article is {_mb(size)}, over the {_mb(max_bytes)} limit (CLAIMFLOW_MAX_ARTICLE_BYTES)")
    raw = path.read_bytes()
    text = _decode(path, raw)
    if suffix in JSONL_SUFFIXES:
        yield from _jsonl_articles(path, text, max_bytes, max_lines, languages)
    elif suffix in HTML_SUFFIXES:
        yield _within_lines(_html_article(path, text, languages), max_lines)
    else:
        meta, body = _front_matter(text)
        fmt = "markdown" if suffix != ".txt" else "text"
        yield _within_lines(make_article(body, path=str(path), fmt=fmt, language=languages, **meta), max_lines)


def _within_lines(article: Article, max_lines: int) -> Article:
    """The article, or a :class:`SourceError` naming it when it has more than ``max_lines``
    non-empty lines (normalised text has no blank line that is not empty)."""
    lines = article.text.count("\n") + 1 - article.text.count("\n\n")
    if lines > max_lines:
        raise SourceError(
            article.source_path, f"article has {lines:,} lines, over the {max_lines:,} limit (CLAIMFLOW_MAX_ARTICLE_LINES): "
            "split it into several articles, or raise the limit", article.source_line,
        )
    return article


# Byte order marks of the encodings a text file is most often saved in besides UTF-8 (UTF-32
# first: its little-endian mark begins with UTF-16's).
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"), (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"), (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
)


def _decode(path: Path, raw: bytes) -> str:
    if encoding := _wide_encoding(raw):
        raise SourceError(str(path), f"{encoding} text; expected UTF-8: re-save it as UTF-8")
    if b"\x00" in raw:
        raise SourceError(str(path), "binary file (contains NUL bytes); expected UTF-8 text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise SourceError(
            str(path), f"not UTF-8 text (invalid byte 0x{raw[err.start]:02x} at offset {err.start}); re-save it as UTF-8"
        ) from None


def _wide_encoding(raw: bytes) -> str | None:
    """The name of a UTF-16 or UTF-32 encoding the bytes are in (by their byte order mark, or,
    without one, by text that decodes and has a NUL in every other byte), else None."""
    for bom, name in _BOMS:
        if raw.startswith(bom):
            return name
    sample = raw[:4096]
    if len(sample) >= 4 and len(sample) % 2 == 0 and b"\x00" in sample:
        for offset, name in ((1, "UTF-16 (little-endian)"), (0, "UTF-16 (big-endian)")):
            if sample[offset::2].count(0) >= len(sample) // 2 * 0.9 and 0 not in sample[1 - offset :: 2]:
                return name
    return None


def make_article(
    text: str,
    *,
    path: str,
    fmt: str,
    line: int | None = None,
    title: str | None = None,
    url: str | None = None,
    source: str | None = None,
    published_at: str | datetime | None = None,
    page_chars: int | None = None,
    language: bool = True,
) -> Article:
    """Normalise one article's text and metadata; raise :class:`SourceError` if nothing is left.
    Control characters (NUL among them) go from every field alike. ``language``: detect the
    text's language (else it stays undetermined, see :func:`with_language`)."""
    url, source = (strip_controls(v) if v else v for v in (url, source))
    if isinstance(published_at, str):
        published_at = strip_controls(published_at)
    normalized = normalize_text(text)
    if not normalized.strip():
        if line is not None:
            reason = "field 'text' is empty"
        else:
            reason = "article has no text" if text.strip() else "file is empty"
        raise SourceError(path, reason, line)
    clean_title = normalize_text(title).replace("\n", " ") if title else None
    if not clean_title:
        clean_title = title_of(normalized, split_blocks(normalized))
    return Article(
        article_id=article_id(normalized),
        text=normalized,
        title=clean_title,
        url=(url or "").strip() or None,
        source=(source or "").strip() or None,
        published_at=_parse_date(published_at, path, line),
        source_path=path,
        source_line=line,
        format=fmt,
        language=detect_language(normalized) if language else UNDETERMINED,
        page_chars=page_chars,
    )


def with_language(article: Article) -> Article:
    """The article with its text's language detected."""
    return replace(article, language=detect_language(article.text))


def _jsonl_articles(path: Path, text: str, max_bytes: int, max_lines: int, languages: bool = True) -> Iterator[Article | SourceError]:
    seen_any = False
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        seen_any = True
        try:
            size = len(line.encode("utf-8"))
            if size > max_bytes:
                raise SourceError(str(path), f"article is {_mb(size)}, over the {_mb(max_bytes)} limit (CLAIMFLOW_MAX_ARTICLE_BYTES)", number)
            try:
                row = json.loads(line)
            except json.JSONDecodeError as err:
                raise SourceError(str(path), f"invalid JSON: {err.msg} at column {err.colno}", number) from None
            if not isinstance(row, dict):
                raise SourceError(str(path), f"expected a JSON object, got {type(row).__name__}", number)
            body = row.get("text")
            if not isinstance(body, str):
                raise SourceError(str(path), "field 'text' is missing" if body is None else "field 'text' must be a string", number)
            meta = {}
            for field in META_FIELDS:
                value = row.get(field)
                if value is not None and not isinstance(value, str):
                    raise SourceError(str(path), f"field {field!r} must be a string", number)
                meta[field] = value
            yield _within_lines(make_article(body, path=str(path), fmt="jsonl", line=number, language=languages, **meta), max_lines)
        except SourceError as err:
            yield err
    if not seen_any:
        raise SourceError(str(path), "file is empty")


def _html_article(path: Path, html: str, languages: bool = True) -> Article:
    import trafilatura  # imported here: it is only needed for HTML

    doc = trafilatura.bare_extraction(html, with_metadata=True, include_formatting=True, include_comments=False)
    if doc is None or not (doc.text or "").strip():
        raise SourceError(str(path), "no article text found in the HTML")
    return make_article(
        doc.text,
        path=str(path),
        fmt="html",
        title=doc.title,
        url=doc.url,
        source=doc.sitename or doc.hostname,
        published_at=doc.date,
        page_chars=page_chars(html),
        language=languages,
    )


# Elements of a page whose text no reader sees.
_UNSEEN = ("script", "style", "noscript", "template", "svg", "head")


def page_chars(html: str) -> int:
    """Characters of text on the whole page (navigation, sidebars and footers included; scripts
    and styles not), whitespace collapsed: what an extractor chose the article from."""
    import lxml.html

    try:
        tree = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return 0
    for element in list(tree.iter(*_UNSEEN)):
        if element.getparent() is not None:
            element.drop_tree()
    return len(" ".join(tree.text_content().split()))


def _front_matter(text: str) -> tuple[dict[str, str], str]:
    """Split optional front matter (``---`` / ``key: value`` lines / ``---``) from the body."""
    stripped = text.lstrip("\ufeff")
    if not stripped.startswith("---\n") and not stripped.startswith("---\r\n"):
        return {}, text
    lines = stripped.splitlines(keepends=True)
    meta: dict[str, str] = {}
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return meta, "".join(lines[index + 1 :])
        key, sep, value = line.partition(":")
        if sep and key.strip() in META_FIELDS:
            meta[key.strip()] = value.strip().strip("\"'")
    return {}, text  # no closing marker: not front matter


def _parse_date(value: str | datetime | None, path: str, line: int | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    value = value.strip()
    if not value:
        return None
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), datetime.min.time())
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise SourceError(path, f"field 'published_at' is not an ISO date: {value!r}", line) from None
    if parsed.tzinfo is not None:  # stored as UTC without a zone
        parsed = parsed.astimezone(timezone.utc).replace(tzinfo=None)
    return parsed


def _mb(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"

