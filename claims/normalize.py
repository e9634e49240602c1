"""Text normalisation: the stored article text is the normalised text, and every offset points into it.

Normalising is idempotent (``normalize_text(normalize_text(t)) == normalize_text(t)``), so the
article id, a hash of the normalised text, does not change when an article is ingested again from
a slightly different copy (other line endings, trailing spaces, markdown emphasis).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from urllib.parse import urlsplit

# Characters that carry no text: zero-width spaces and joiners, BOM, soft hyphen, word joiner.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
# Control characters other than newline and tab.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_HSPACE = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_RUN = re.compile(r"\n{3,}")
# Markdown emphasis. Strong markers (** and __) are removed wherever they stand, paired or not
# (the sample articles end headings with a stray "**"); single * and _ only as a pair around
# a word-bounded phrase, so list bullets ("* item") and snake_case survive.
_STRONG = re.compile(r"\*\*+|(?<!\w)__+|__+(?!\w)")
_EM_STAR = re.compile(r"(?<![\w*])\*(?=[^\s*])([^*\n]+?)(?<=[^\s*])\*(?![\w*])")
_EM_UNDER = re.compile(r"(?<![\w_])_(?=[^\s_])([^_\n]+?)(?<=[^\s_])_(?![\w_])")
# [text](url) -> text; the URL may hold balanced parentheses (Wikipedia's "Foo_(bar)") or be
# written <like this>. An image, ![alt](url), goes whole: its alt text is not the article's.
_URL = r"(?:<[^>\n]*>|(?:[^()\s]|\([^()\s]*\))+)(?:\s+\"[^\"]*\")?"
_IMAGE = re.compile(r"!\[[^\]\n]*\]\(" + _URL + r"\)")
_LINK = re.compile(r"\[([^\]\n]+)\]\(" + _URL + r"\)")
# Blockquote markers at the start of a line ("> ", "> > ").
_QUOTE = re.compile(r"^[ \t]*(?:>[ \t]*)+", re.M)
# Markdown backslash escapes (\[, \*, \_ ...): the character stands for itself. While the markup
# is removed, each escaped character is held by a private-use stand-in, so an escaped "*" is
# never taken for emphasis; then the characters come back without their backslash.
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|<>~])")
_HOLD = 0xF0000  # Unicode plane 15, private use: no article text uses it
_HELD = re.compile("[\U000F0000-\U000F007F]")


def normalize_text(text: str) -> str:
    """Return the canonical form of an article's text.

    Unicode NFKC, invisible and control characters dropped, line endings as ``\\n``, runs of
    spaces collapsed, lines stripped, markdown emphasis and link syntax removed, at most one
    blank line between blocks, no leading or trailing blank lines. Block structure (headings,
    list items, paragraphs on their own lines) is kept; blockquote markers (``>``) and images go,
    and backslash escapes (``\\[``) give the character itself.
    """
    # Invisible and control characters go first, and NFKC runs again after the markup is gone:
    # either can sit between a letter and its combining mark and block their composition.
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = text.translate(_INVISIBLE)
    text = _CONTROL.sub("", text)
    text = unicodedata.normalize("NFKC", text)
    text = _ESCAPED.sub(lambda m: chr(_HOLD + ord(m.group(1))), text)
    text = _IMAGE.sub("", text)
    text = _LINK.sub(r"\1", text)
    text = _QUOTE.sub("", text)
    text = _STRONG.sub("", text)
    text = _EM_STAR.sub(r"\1", text)
    text = _EM_UNDER.sub(r"\1", text)
    text = _HELD.sub(lambda m: chr(ord(m.group(0)) - _HOLD), text)
    text = unicodedata.normalize("NFKC", text)
    lines = (_HSPACE.sub(" ", line).strip() for line in text.split("\n"))
    text = "\n".join(lines)
    text = _BLANK_RUN.sub("\n\n", text)
    return text.strip("\n")


def strip_controls(value: str) -> str:
    """``value`` without the control characters :func:`normalize_text` drops (NUL and the rest,
    newline and tab kept): the one rule for every field of an article, its URL, source and date
    as much as its text and title."""
    return _CONTROL.sub("", value)


def article_id(normalized_text: str) -> str:
    """The article id: the first 16 hex digits of the SHA-256 of the normalised text."""
    return hashlib.sha256(normalized_text.encode("utf-8")).hexdigest()[:16]


def claim_id(article: str, start: int, end: int) -> str:
    """The claim id: a hash of the article id and the claim's character offsets."""
    return hashlib.sha256(f"{article}:{start}:{end}".encode("ascii")).hexdigest()[:16]


def web_url(url: str | None) -> str | None:
    """``url`` if it is an http or https link, else None: the one check every link claimflow
    writes (task pages, exports) goes through, so a ``javascript:`` or ``data:`` URL is never a
    link. ``urlsplit`` reads the scheme as a browser does (leading spaces, tabs and newlines
    ignored, any case)."""
    if not url:
        return None
    return url if urlsplit(str(url)).scheme in ("http", "https") else None
