"""Surface cues of a claim that bear on whether two claims can both be true.

:func:`profile` reads one claim's text once (words, negations, hedges, refuting words, its
position on a few antonym axes, numbers and years); :func:`pair_cues` compares two profiles.
Pure functions of text, so the matcher's features can be computed for many pairs without a
pipeline and tested on their own. The cue names are what people see as a pair's reasons.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?|\d+(?:[.,]\d+)*")
# Numbers worth comparing: not years (those are dates), not list markers.
_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*(%|percent|per cent|million|billion|trillion|bn|m))?(?![\w])", re.I)
# "not only ... but also", "no doubt", "does not necessarily mean": not a negation of what the
# claim asserts (the last is a hedge, and counted as one).
_NOT_NEGATION = re.compile(
    r"\b(?:not (?:only|just|merely|simply|least|necessarily)|no (?:doubt|longer than|less than|more than)|nothing but)\b"
    r"|\w+n't necessarily\b"
)
_YEAR = re.compile(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)")

STOPWORDS = frozenset(
    """a an the of to in on at by for from with without into onto over under about after before between during
    and or but nor so yet as than then that this these those there here it its it's is are was were be been being
    has have had having do does did done will would shall should can could may might must not no never n't
    he she they them their his her we us our you your i me my who whom whose which what when where why how
    all any both each few more most other some such only own same very also just even still again ever
    s t says said say up out off down new one two""".split()
)

NEGATIONS = frozenset("not no never none nobody nothing neither nor nowhere without cannot can't won't n't isn't aren't wasn't weren't don't doesn't didn't hasn't haven't hadn't shouldn't wouldn't couldn't".split())
# Words a body uses to say a headline is false (the Fake News Challenge baseline's list, extended).
REFUTING = frozenset(
    """fake fakes faked fraud frauds hoax hoaxes false falsely deny denies denied denial denying
    debunk debunks debunked debunking untrue bogus fabricated fabrication baseless myth myths rumor rumors
    rumour rumours doubt doubts doubtful dispute disputes disputed refute refutes refuted refuting
    retract retracts retracted misleading misinformation prank pranks satire satirical""".split()
)
HEDGES = frozenset(
    """may might could reportedly allegedly apparently purportedly supposedly possibly perhaps probably likely
    unlikely unconfirmed unverified claim claims claimed claiming rumored rumoured suggest suggests suggested
    appear appears appeared seem seems seemed believed suspected""".split()
)

# Antonym axes: (name, words on one side, words on the other). A claim sits on an axis where
# it uses words of one side only; two claims on opposite sides of an axis are an antonym cue.
AXES: tuple[tuple[str, frozenset[str], frozenset[str]], ...] = tuple(
    (name, frozenset(pos.split()), frozenset(neg.split()))
    for name, pos, neg in [
        ("unity_division",
         "unity united unite unites uniting unified solidarity steadfast resilient resilience cohesion cohesive "
         "together consensus alignment aligned agreement harmony unanimous unanimity intact firm",
         "fracture fractures fractured fracturing rift rifts divide divides divided division divisions divisive "
         "split splits splintered discord disunity disagreement disagreements dispute cracks crack tension tensions "
         "strained rupture schism infighting disarray"),
        ("increase_decrease",
         "increase increases increased increasing rise rises rose risen rising grow grows grew grown growing growth "
         "higher more gain gains gained surge surged surging boost boosted expand expanded expansion up climb climbed",
         "decrease decreases decreased decreasing fall falls fell fallen falling decline declines declined declining "
         "drop drops dropped lower less fewer loss losses lost cut cuts shrink shrank shrinking reduce reduced "
         "reduction down plunge plunged slump"),
        ("success_failure",
         "success successful succeed succeeded succeeds achieved achievement breakthrough triumph won win wins "
         "delivered progress effective",
         "failure failed fail fails failing unsuccessful fell short collapse collapsed setback stalled stall "
         "disappointment disappointing elusive ineffective"),
        ("support_opposition",
         "support supports supported supporting back backs backed backing endorse endorsed endorses approve "
         "approved approves favor favour favors favours accept accepted accepts embrace embraced welcome welcomed",
         "oppose opposes opposed opposing opposition reject rejects rejected rejecting against condemn condemned "
         "condemns criticize criticise criticized criticised criticism veto vetoed refuse refused refuses"),
        ("strength_weakness",
         "strengthen strengthens strengthened strong stronger strongest bolster bolstered reinforce reinforces "
         "reinforced robust powerful",
         "weaken weakens weakened weakening weak weaker weakest undermine undermines undermined undermining "
         "erode erodes eroded fragile vulnerable"),
        ("peace_conflict",
         "peace peaceful ceasefire truce thaw detente rapprochement reconciliation de-escalate calm cooperation "
         "cooperative dialogue",
         "war conflict conflicts escalation escalate escalated hostility hostilities aggression confrontation "
         "clash clashes fighting attack attacks"),
        ("confirm_deny",
         "confirm confirms confirmed confirming true genuine real authentic verified proven",
         "deny denies denied denying false fake hoax untrue bogus fabricated debunked"),
        ("alive_dead",
         "alive survived survives surviving rescued freed released",
         "dead died dies killed kill kills death executed beheaded murdered"),
    ]
)


@dataclass(frozen=True, slots=True)
class Profile:
    """What the cues need of one claim."""

    words: frozenset[str]          # content words, lower case
    negations: int
    hedges: int
    refuting: int
    axes: tuple[int, ...]          # per axis: +1, -1 or 0 (none, or both sides)
    numbers: frozenset[str]        # normalised numbers with their unit, years excluded
    years: frozenset[int]


def _number(value: str, unit: str | None) -> str:
    digits = value.replace(",", "")
    unit = (unit or "").lower()
    unit = {"percent": "%", "per cent": "%", "bn": "billion", "m": "million"}.get(unit, unit)
    try:
        number = float(digits)
        digits = f"{number:g}"
    except ValueError:
        pass
    return f"{digits}{unit}"


def profile(text: str) -> Profile:
    lower = text.lower().replace("\u2019", "'")
    tokens = _WORD.findall(lower)
    token_set = set(tokens)
    negations = sum(1 for t in _WORD.findall(_NOT_NEGATION.sub(" ", lower)) if t in NEGATIONS or t.endswith("n't"))
    axes = []
    for _, pos, neg in AXES:
        p, n = len(token_set & pos), len(token_set & neg)
        axes.append((p > 0) - (n > 0))
    if "fell short" in lower:  # the one two-word cue
        axes[2] = -1 if not axes[2] or axes[2] == -1 else 0
    years = frozenset(int(y) for y in _YEAR.findall(text))
    numbers = frozenset(
        _number(m.group(1), m.group(2))
        for m in _NUMBER.finditer(text)
        if not (len(m.group(1)) == 4 and m.group(1).isdigit() and int(m.group(1)) in years)
    )
    return Profile(
        words=frozenset(t for t in token_set if t not in STOPWORDS and not t.isdigit() and len(t) > 1),
        negations=negations,
        hedges=sum(1 for t in tokens if t in HEDGES) + lower.count("necessarily"),
        refuting=sum(1 for t in tokens if t in REFUTING),
        axes=tuple(axes),
        numbers=numbers,
        years=years,
    )


def refuting_words(text: str) -> dict[str, int]:
    """The refuting words of a text (an article: "hoax", "denied", "false" ...) with their counts:
    an article that uses them disputes what it reports."""
    counts: dict[str, int] = {}
    for t in _WORD.findall(text.lower()):
        if t in REFUTING:
            counts[t] = counts.get(t, 0) + 1
    return counts


# The pair cues, in the order of the matcher's feature vector; each is 0 or 1 (or a count).
PAIR_CUES = (
    "antonym", "negation_mismatch", "refuting", "hedge_mismatch", "number_mismatch", "date_differs",
)


def pair_cues(a: Profile, b: Profile) -> dict[str, float]:
    """The contradiction cues between two claims, by name (see :data:`PAIR_CUES`)."""
    opposite = [name for (name, _, _), x, y in zip(AXES, a.axes, b.axes) if x * y < 0]
    return {
        "antonym": float(len(opposite)),
        "negation_mismatch": float((a.negations > 0) != (b.negations > 0)),
        "refuting": float(min(a.refuting, 3) + min(b.refuting, 3)) if (a.refuting > 0) != (b.refuting > 0) else 0.0,
        "hedge_mismatch": float((a.hedges > 0) != (b.hedges > 0)),
        "number_mismatch": float(numbers_differ(a.numbers, b.numbers)),
        "date_differs": float(bool(a.years and b.years and not (a.years & b.years))),
    }


def _unit(number: str) -> str:
    """The unit of a normalised number ("32" -> "", "2%" -> "%", "5billion" -> "billion")."""
    return number.lstrip("0123456789.-e+")


def numbers_differ(a: frozenset[str], b: frozenset[str]) -> bool:
    """Both claims give numbers of some unit (or both bare numbers) and none of those agree: "32
    members" against "30 members", not "32 members" against "2%"."""
    for unit in {_unit(n) for n in a} & {_unit(n) for n in b}:
        if not ({n for n in a if _unit(n) == unit} & {n for n in b if _unit(n) == unit}):
            return True
    return False
