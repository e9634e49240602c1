"""Split a normalised article into blocks (lines): headings, list items and paragraphs.

spaCy's parser joins a heading line to the paragraph after it and keeps markdown markers, so
sentences are split within blocks, never across them. Every block carries offsets into the
article text; ``text[block.start:block.end]`` is the block's content without its marker
(``### ``, ``- ``, ``1. ``).

A line longer than :data:`MAX_BLOCK_CHARS` becomes several blocks of its kind, cut after a
sentence end where there is one (else at a space, else anywhere), so that no block comes near
spaCy's ``max_length`` (a paragraph of a million characters would stop the pipeline) and the
parser's memory stays bounded.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from claims.boilerplate import boilerplate_kind, is_teaser_item, opens_teasers

BlockKind = Literal["heading", "list_item", "paragraph", "boilerplate"]

_MD_HEADING = re.compile(r"#{1,6}\s+")
_BULLET = re.compile(r"(?:[-*+\u2022\u2013]|\d{1,3}[.)])\s+")
# A line that ends like a sentence (optionally followed by closing quotes or brackets).
_SENTENCE_END = re.compile(r"[.!:;\u2026][\"'\u201d\u2019)\]]*$")
_WORD = re.compile(r"\w+")

# A line of at most this many words without sentence-final punctuation reads as a heading.
HEADING_MAX_WORDS = 20
# Longer lines are cut into blocks of at most this many characters (news paragraphs are under
# 2,000; spaCy refuses texts over nlp.max_length, 1,000,000 by default).
MAX_BLOCK_CHARS = 10_000
# A social post as sites embed it and as it is copied: its text, then "— Name (@handle) Month D,
# YYYY". The text is the post (a paragraph, whatever it starts with: "WATCH: ..."), the
# signature its author and date.
_POST_SIGNATURE = re.compile(
    r"\s*[\u2014\u2013-]{1,2}\s*[^\n()]{0,80}\(@\w{1,30}\)\s+"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2},\s+\d{4}\W*$",
    re.IGNORECASE,
)
# A cut after a sentence end: the end mark, closing quotes or brackets, then spaces.
_CUT_AFTER_SENTENCE = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+")


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    start: int
    end: int


def split_blocks(text: str, max_chars: int = MAX_BLOCK_CHARS) -> list[Block]:
    """Return the article's non-empty lines as blocks, in order. Page furniture (credits,
    copyright, citation and update notes, share prompts, captions: claims.boilerplate) is a
    ``boilerplate`` block, and so is every short line of a teaser section ("Related stories",
    "Most read") up to the next heading or long paragraph. A social post with its signature
    ("... — Name (@handle) Month D, YYYY") is a paragraph and a boilerplate block. A line longer than ``max_chars``
    (never furniture: it ends a teaser section) becomes several blocks of at most ``max_chars``."""
    blocks: list[Block] = []
    pos = 0
    in_teasers = False
    for line in text.split("\n"):
        line_start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        long = len(line) > max_chars
        kind, marker_len = _classify_long(line) if long else _classify(line)
        start = line_start + marker_len
        end = line_start + len(line.rstrip())
        if end <= start:
            continue
        if long:
            in_teasers = False
            blocks.extend(_pieces(text, kind, start, end, max_chars))
            continue
        content = text[start:end]
        if (post := _POST_SIGNATURE.search(content)) and post.start() > 0:
            blocks.append(Block("paragraph", start, start + post.start()))
            blocks.append(Block("boilerplate", start + post.start() + len(post.group()) - len(post.group().lstrip()), end))
            in_teasers = False
            continue
        if kind == "heading" and (opens_teasers(content) or not in_teasers or _MD_HEADING.match(line)):
            in_teasers = opens_teasers(content)  # a heading of its own opens or ends a teaser section
        elif in_teasers and not is_teaser_item(content):
            in_teasers = False  # a long paragraph: the article again
        if in_teasers or boilerplate_kind(content):
            kind = "boilerplate"
        blocks.append(Block(kind, start, end))
    return blocks


def _pieces(text: str, kind: BlockKind, start: int, end: int, max_chars: int) -> list[Block]:
    """``text[start:end]`` as blocks of at most ``max_chars``, each without surrounding spaces."""
    pieces = []
    while end - start > max_chars:
        cut = piece_end = _cut(text, start, start + max_chars)
        while text[piece_end - 1].isspace():
            piece_end -= 1
        pieces.append(Block(kind, start, piece_end))
        start = cut
        while start < end and text[start].isspace():
            start += 1
    if end > start:
        pieces.append(Block(kind, start, end))
    return pieces


def _cut(text: str, start: int, limit: int) -> int:
    """Where to end a block that may reach ``limit``: after the last sentence end in the second
    half of the window, else at its last space, else at ``limit``."""
    floor = start + (limit - start) // 2
    ends = [m.end() for m in _CUT_AFTER_SENTENCE.finditer(text, floor, limit)]
    if ends:
        return ends[-1]
    space = max(text.rfind(" ", floor, limit), text.rfind("\t", floor, limit))
    return space + 1 if space > floor else limit


def _classify_long(line: str) -> tuple[BlockKind, int]:
    """A line too long to be a heading: a list item or a paragraph."""
    marker = m.end() if (m := _BULLET.match(line)) else 0
    return ("list_item" if marker else "paragraph"), marker


def _classify(line: str) -> tuple[BlockKind, int]:
    if m := _MD_HEADING.match(line):
        return "heading", m.end()
    marker = m.end() if (m := _BULLET.match(line)) else 0
    content = line[marker:]
    if _looks_like_heading(content):
        return "heading", marker
    return ("list_item" if marker else "paragraph"), marker


def _looks_like_heading(content: str) -> bool:
    """A short line that does not end like a sentence: "Wrapping Up", "1. Redefining NATO's Role".

    A short line ending in "?" ("A Shift in Global Alliances?") is a heading too when it has no
    other sentence inside it.
    """
    words = _WORD.findall(content)
    if not words or len(words) > HEADING_MAX_WORDS:
        return False
    stripped = content.rstrip()
    if stripped.endswith("?"):
        return len(words) <= 8 and not re.search(r"[.!?]\s", stripped)
    return not _SENTENCE_END.search(stripped)


def title_of(text: str, blocks: list[Block]) -> str | None:
    """The article's title: its first heading, else its first line (not page furniture) cut to
    120 characters."""
    for block in blocks:
        if block.kind == "heading":
            return text[block.start : block.end]
    for block in blocks:
        if block.kind != "boilerplate":
            first = text[block.start : block.end]
            return first if len(first) <= 120 else first[:117].rstrip() + "..."
    return None
