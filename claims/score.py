"""Check-worthiness by rules: surface features of a sentence, a score in [0, 1] and a claim type.

:func:`sentence_features` reads a spaCy span; :func:`score` and :func:`claim_type` are pure
functions of the features, so the rules can be tested and tuned without a pipeline. The
weights are hand-set (``rules-v1``); a learned model replaces them later and may use these
features as inputs.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.tokens import Span

SCORER = "rules-v1"

NAMED = {"PERSON", "NORP", "FAC", "ORG", "GPE", "LOC", "PRODUCT", "EVENT", "WORK_OF_ART", "LAW"}
NUMERIC = {"PERCENT", "MONEY", "QUANTITY", "CARDINAL"}
TEMPORAL = {"DATE", "TIME"}
ATTRIBUTION_LEMMAS = {
    "say", "state", "announce", "claim", "report", "tell", "confirm", "deny", "warn", "accuse",
    "assert", "declare", "acknowledge", "admit", "insist", "allege", "testify", "pledge",
    "vow", "promise", "argue",
}
_ACCORDING_TO = re.compile(r"\baccording to\b", re.I)
# Without a tagger (the blank pipeline) attribution falls back to past-tense reporting verbs.
_ATTRIBUTION = re.compile(
    r"\b(?:according to|said|stated|announced|told|claimed|confirmed|denied|"
    r"warned|declared|acknowledged|admitted|insisted|alleged|pledged|vowed|argued|reported)\b",
    re.I,
)
_QUOTE = re.compile(r"[\"\u201c\u201d\u00ab\u00bb][^\"\u201c\u201d\u00ab\u00bb]{3,}[\"\u201c\u201d\u00ab\u00bb]")
_HEDGE = re.compile(
    r"\b(?:may|might|could|perhaps|possibly|reportedly|seemingly|allegedly|apparently|likely|"
    r"unlikely|probably|suggests?|appears?|seems?|potential(?:ly)?|perceived)\b",
    re.I,
)
_PREDICTION = re.compile(
    r"\b(?:will|won't|shall|is set to|are set to|(?:is|are) expected to|expected|predicted|"
    r"forecasts?|is going to|are going to|upcoming|in the (?:coming|next) (?:years?|months?|weeks?)|"
    r"in the future|moving forward|could signal)\b",
    re.I,
)
_OPINION = re.compile(
    r"\b(?:should|must|ought to|needs? to|essential|crucial|imperative|vital|i think|i believe|"
    r"we think|we believe|in my view|in our view|arguably|undoubtedly|clearly|obviously|"
    r"it is time|let us|let's)\b",
    re.I,
)
_CAUSAL = re.compile(
    r"\b(?:because|due to|as a result|led to|leads? to|leading to|caused|causes|causing|result(?:ed|s)? in|"
    r"owing to|thanks to|triggered|driven by|stemming from|therefore|consequently|fuel(?:s|ed|ing)?)\b",
    re.I,
)
# "US" is the country, so only lower-case "us" counts.
_FIRST_PERSON = re.compile(r"\b(?:I|[Ww]e|[Oo]urs?|us|[Mm]y)\b")
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class Features:
    words: int
    named_entities: int
    has_number: bool
    has_date: bool
    attribution: bool
    quote: bool
    hedges: int
    prediction: bool
    opinion: bool
    causal: bool
    past_event: bool
    first_person: bool
    question: bool
    # A verb or auxiliary among its tokens (True where the pipeline has no tagger, and for claims
    # stored before the feature was read).
    has_verb: bool = True

    def as_dict(self) -> dict:
        return asdict(self)


def skip_reason(f: Features) -> str | None:
    """Why a sentence cannot be a claim whatever a model says of it, or None. A claim asserts
    something, and a span with no verb (a byline, a caption, a dateline, a label such as
    "Photo: Reuters") asserts nothing: the learned scorer is not run on it and it scores 0."""
    if not f.has_verb:
        return "no verb"
    return None


# Hand-set weights of the logistic rule score; see tests/test_score.py for what they must do.
WEIGHTS = {
    "bias": -1.2,
    "named_entities": 0.55,  # per entity, up to three
    "has_number": 1.1,
    "has_date": 0.5,
    "attribution": 0.9,
    "quote": 0.3,
    "past_event": 0.5,
    "hedges": -0.5,  # per hedge, up to two
    "prediction": -0.9,
    "opinion": -1.3,
    "first_person": -0.8,
    "short": -1.0,  # fewer than six words
    "question": -2.5,
}


def text_features(text: str) -> dict:
    """The features that need nothing but the sentence's text."""
    return {
        "words": len(_WORD.findall(text)),
        "quote": bool(_QUOTE.search(text)),
        "hedges": len(_HEDGE.findall(text)),
        "prediction": bool(_PREDICTION.search(text)),
        "opinion": bool(_OPINION.search(text)),
        "causal": bool(_CAUSAL.search(text)),
        "first_person": bool(_FIRST_PERSON.search(_QUOTE.sub("", text))),
        "question": text.rstrip("\"'\u201d\u2019)] ").endswith("?"),
    }


def sentence_features(span: Span) -> Features:
    """Features of one sentence, from its text and whatever annotation the pipeline gave it."""
    text = span.text
    labels = [ent.label_ for ent in span.ents]
    tags = {tok.tag_ for tok in span}
    tagged = bool(tags - {""})
    lemmas = {tok.lemma_.lower() for tok in span if tok.tag_.startswith("VB")}
    has_verb = not tagged or any(tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB") or tok.tag_ == "MD" for tok in span)
    if tagged:
        attribution = bool(lemmas & ATTRIBUTION_LEMMAS) or bool(_ACCORDING_TO.search(text))
    else:
        attribution = bool(_ATTRIBUTION.search(text))
    base = text_features(text)
    return Features(
        named_entities=sum(label in NAMED for label in labels),
        has_number=bool(_DIGIT.search(text)) or any(label in NUMERIC - {"CARDINAL"} for label in labels),
        has_date=any(label in TEMPORAL for label in labels),
        attribution=attribution,
        past_event="VBD" in tags or ("VBN" in tags and bool(labels)),
        has_verb=has_verb,
        **base,
    )


def score(f: Features) -> float:
    """Check-worthiness in [0, 1]: a logistic function of the weighted features."""
    w = WEIGHTS
    z = (
        w["bias"]
        + w["named_entities"] * min(f.named_entities, 3)
        + w["has_number"] * f.has_number
        + w["has_date"] * f.has_date
        + w["attribution"] * f.attribution
        + w["quote"] * f.quote
        + w["past_event"] * f.past_event
        + w["hedges"] * min(f.hedges, 2)
        + w["prediction"] * f.prediction
        + w["opinion"] * f.opinion
        + w["first_person"] * f.first_person
        + w["short"] * (f.words < 6)
        + w["question"] * f.question
    )
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def claim_type(f: Features) -> str:
    """One type per claim, the most telling first: opinion, prediction, quote, attribution,
    numeric, causal, event, else statement."""
    if f.opinion:
        return "opinion"
    if f.prediction:
        return "prediction"
    if f.quote and f.attribution:
        return "quote"
    if f.attribution:
        return "attribution"
    if f.has_number:
        return "numeric"
    if f.causal:
        return "causal"
    if f.past_event and f.named_entities:
        return "event"
    return "statement"
