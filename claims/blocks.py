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

BlockKind = Literal["heading", "list_item", "paragraph"]

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
# A cut after a sentence end: the end mark, closing quotes or brackets, then spaces.
_CUT_AFTER_SENTENCE = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*\s+")


@dataclass(frozen=True, slots=True)
class Block:
    kind: BlockKind
    start: int
    end: int


def split_blocks(text: str, max_chars: int = MAX_BLOCK_CHARS) -> list[Block]:
    """Return the article's non-empty lines as blocks, in order; a line longer than
    ``max_chars`` as several blocks of at most ``max_chars`` each."""
    blocks: list[Block] = []
    pos = 0
    for line in text.split("\n"):
        line_start, pos = pos, pos + len(line) + 1
        if not line.strip():
            continue
        kind, marker_len = _classify(line) if len(line) <= max_chars else _classify_long(line)
        start = line_start + marker_len
        end = line_start + len(line.rstrip())
        while end - start > max_chars:
            cut = piece_end = _cut(text, start, start + max_chars)
            while text[piece_end - 1].isspace():
                piece_end -= 1
            blocks.append(Block(kind, start, piece_end))
            start = cut
            while start < end and text[start].isspace():
                start += 1
        if end > start:
            blocks.append(Block(kind, start, end))
    return blocks


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
    """The article's title: its first heading, else its first line cut to 120 characters."""
    for block in blocks:
        if block.kind == "heading":
            return text[block.start : block.end]
    if blocks:
        first = text[blocks[0].start : blocks[0].end]
        return first if len(first) <= 120 else first[:117].rstrip() + "..."
    return None
