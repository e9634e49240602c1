"""Lines of a web page that are not the article: credits, copyright, citation and update notes,
share and subscribe prompts, teasers of other stories, photo captions.

Extractors (trafilatura) keep many of them, and a check-worthiness model scores them high
("Citation: ... retrieved 20 January 2020 from https://..." has a date, a number and a source).
:func:`boilerplate_kind` says what kind a line is, or None for article text. The patterns come
from the shapes these lines take on news sites; each is anchored to a whole line, so a sentence
of the article that merely mentions a photo or a copyright stays a claim.

Pure functions over single lines (the block splitter calls them); nothing is removed from the
stored text, so offsets and article ids do not change.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

# (kind, pattern matched against the whole stripped line)
_LINE_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("copyright", re.compile(r"^(?:copyright\b|©|\(c\)\s*\d{4}|all rights reserved\b)", _I)),
    ("copyright", re.compile(r"\ball rights reserved\.?$", _I)),
    ("citation", re.compile(r"^(?:citation|cite this(?: article| page)?|how to cite(?: this article)?)\s*:", _I)),
    ("citation", re.compile(r"\bretrieved\b.{0,60}\bfrom\s+https?://\S+\s*$", _I)),
    ("update_note", re.compile(
        r"^(?:update[ds]?|editor['’]?s note|correction|clarification)"
        r"(?:,?\s+(?:on\s+|at\s+|\()?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun|\d)"
        r"[^\n]{0,40}?)?\s*[:\u2014\u2013]", _I)),
    ("update_note", re.compile(
        r"^(?:this (?:story|article|post|piece) (?:has been|was) (?:updated|corrected|originally published)"
        r"|an earlier version of this (?:story|article|post))\b", _I)),
    ("credit", re.compile(
        r"^\(?(?:reporting|additional reporting|editing|edited|compiled|produced) by\b[^.]{0,160}\)?\.?$", _I)),
    ("credit", re.compile(r"^(?:photo|image|picture|video|graphic)s?(?: credit)?\s*:", _I)),
    # A caption ends with its credit: "... on Tuesday. Photo: AP", "(AP Photo/Efrem Lukatsky)".
    ("caption", re.compile(
        r"(?:\b(?i:photo(?:graph)?|image|picture|credit|illustration)s?(?i:\s*credit)?\s*[:/]\s*[A-Z][\w.&'’ /-]{0,59}"
        r"|\((?i:AP|AFP|Reuters|Getty|EPA)[^()]{0,40}(?i:photo|images?)[^()]{0,60}\)"
        r"|\b(?i:getty images|shutterstock))\.?$")),
    ("share", re.compile(
        r"^(?:share(?: this(?: article| story)?| on \w+)?|tweet(?: this)?|email|print|save|copy link"
        r"|follow us(?: on \w+)?|like us on facebook)\s*[:.!]?$", _I)),
    ("share", re.compile(
        r"^(?:subscribe|sign up|register|join)\b.{0,120}\b(?:newsletter|inbox|updates|subscription|free)\b", _I)),
    ("share", re.compile(r"^(?:click here|tap here)\b", _I)),
    ("teaser", re.compile(
        r"^(?:read more|read next|read also|also read|related(?: stories| articles| coverage| content)?"
        r"|see also|recommended(?: for you)?|more(?: from [\w .'’-]{1,40}| on this(?: story| topic)?| stories| news)?"
        r"|watch|listen|most (?:read|popular|viewed|shared)|you (?:may|might) also like|trending(?: now)?"
        r"|top stories|latest(?: news| stories)?|don['’]t miss)\s*[:>|»\u2014\u2013-]", _I)),
    ("page_furniture", re.compile(
        r"^(?:advertisement|skip to (?:main )?content|loading\.*|comments?|\d+ comments?|sponsored(?: content)?)$", _I)),
]

# A heading that opens a list of other stories: what follows it, up to the next heading or
# paragraph of the article, is teasers.
TEASER_HEADING = re.compile(
    r"^(?:related(?: stories| articles| coverage| content| links)?|read (?:more|next)|more (?:stories|news|from [\w .'’-]{1,40})"
    r"|recommended(?: for you| stories)?|most (?:read|popular|viewed|shared)|you (?:may|might) also like"
    r"|trending(?: now)?|top stories|latest(?: news| stories)?|see also|further reading|editor['’]s picks)\s*:?$",
    _I,
)
# Within a teaser section, a paragraph this long is the article again.
TEASER_MAX_WORDS = 30
_WORD = re.compile(r"\w+")


def boilerplate_kind(line: str) -> str | None:
    """What kind of page furniture the line is (``copyright``, ``citation``, ``update_note``,
    ``credit``, ``caption``, ``share``, ``teaser``, ``page_furniture``), or None."""
    stripped = line.strip()
    if not stripped:
        return None
    for kind, pattern in _LINE_PATTERNS:
        if pattern.search(stripped):
            return kind
    return None


def opens_teasers(heading: str) -> bool:
    """A heading such as "Related stories" or "Most read", after which come other stories."""
    return bool(TEASER_HEADING.match(heading.strip()))


def is_teaser_item(line: str) -> bool:
    """A line in a teaser section that reads like a headline or a blurb, not article text."""
    return len(_WORD.findall(line)) <= TEASER_MAX_WORDS
