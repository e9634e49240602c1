"""Label Studio annotations as flat label rows: one row per annotation.

All translation from Label Studio's annotation JSON to claimflow's records lives here. Pure
functions; the raw JSON is never modified.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta, timezone

from annotation.config import ClaimControls, claim_controls

# dict first: JSON payloads are dicts, and isinstance() on a concrete type is much cheaper than
# on the Mapping ABC (this runs several times per annotation).
_MAPPING = (dict, Mapping)

LABEL_FIELDS = (
    "annotation_id", "task_id", "project_id", "claim_id", "annotator_id", "annotator", "verdict",
    "confidence", "rationale", "evidence_urls", "evidence_note", "lead_time", "created_at", "updated_at", "was_cancelled",
    "updated_by_id", "updated_by", "edited_by_id", "check_worthy",
)

# Label Studio sets an annotation's ``updated_by`` to whoever wrote it last, its creator
# included: an annotation created through the API on someone's behalf (``completed_by``) has
# the API user as ``updated_by`` from the start, with ``updated_at`` microseconds after
# ``created_at``. Only a write this long after the creation counts as an edit.
EDIT_GRACE = timedelta(seconds=1)


class MalformedAnnotation(ValueError):
    """An annotation payload is not of the shape Label Studio gives; the message says what is wrong."""


def parse_time(value) -> datetime | None:
    """Label Studio's ISO timestamps as naive UTC datetimes."""
    if value is None or value == "":
        return None
    if type(value) is str and value[-1:] == "Z":  # Label Studio's own form: UTC, no offset to apply
        parsed = datetime.fromisoformat(value[:-1])
        if parsed.tzinfo is None:
            return parsed
        raise ValueError(f"Invalid isoformat string: {value!r}")  # an offset and a Z
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(value if isinstance(value, str) else str(value))
    offset = parsed.utcoffset()
    if offset is None:
        return parsed
    return (parsed - offset).replace(tzinfo=None)


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _user_id(annotation: Mapping, field: str = "completed_by") -> int | None:
    value = annotation.get(field)
    if type(value) is int:
        return value
    if isinstance(value, _MAPPING):
        value = value.get("id")
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        raise MalformedAnnotation(f"annotation {annotation['id']}: {field!r} is not a user id: {value!r}") from None


def _cancelled(annotation: Mapping) -> bool:
    value = annotation.get("was_cancelled", False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise MalformedAnnotation(f"annotation {annotation['id']}: 'was_cancelled' is not true or false: {value!r}")
    return value


def _time(annotation: Mapping, field: str) -> datetime | None:
    try:
        return parse_time(annotation.get(field))
    except ValueError:
        raise MalformedAnnotation(f"annotation {annotation['id']}: {field!r} is not a timestamp: {annotation.get(field)!r}") from None


def _texts(value: Mapping | None, key: str) -> list[str]:
    """The control value's ``key`` entries as strings (a single value counts as a list of one)."""
    if value is None:
        return []
    return [str(v) for v in _as_list(value.get(key))]


def flatten(
    annotation: Mapping,
    *,
    claim_id: str | None,
    users: Mapping[int, str] | None = None,
    controls: ClaimControls | None = None,
    task_id: int | None = None,
    project_id: int | None = None,
) -> dict:
    """One label row from one annotation of a claim task.

    Missing controls give NULLs (a skipped annotation has no verdict); a payload that is not an
    annotation at all, or whose times or user are not readable, raises :class:`MalformedAnnotation`.
    ``task_id`` and ``project_id``, when the caller knows them (the task the annotation came
    with), replace the annotation's own ``task`` and ``project``.
    """
    controls = controls or claim_controls()
    by_name = result_values(annotation)
    verdict = by_name.get(controls.verdict.name)
    confidence = by_name.get(controls.confidence.name)
    rationale = "\n".join(_texts(by_name.get(controls.rationale.name), "text")).strip()
    evidence_urls, evidence_note = read_evidence(_texts(by_name.get(controls.evidence.name), "text"))
    return common_fields(annotation, users=users, task_id=task_id, project_id=project_id) | {
        "claim_id": claim_id,
        # Kept as given: the expectation suite, not this function, decides what is a valid verdict.
        "verdict": chosen(verdict),
        "confidence": confidence.get("rating") if confidence is not None else None,
        "rationale": rationale or None,
        "evidence_urls": evidence_urls,
        "evidence_note": evidence_note,
        "check_worthy": _check_worthy(by_name.get(controls.checkworthy.name), controls),
    }


# A word written as a link: a scheme and "//", "www.", or a scheme a browser would run or open
# (javascript:, data:, ...). Such words are evidence links, checked as links by the suite.
_LINKISH = re.compile(r"(?:[a-z][a-z0-9+.-]*://|www\.|(?:javascript|data|vbscript|file|mailto):)", re.IGNORECASE)
# Punctuation a sentence puts after a link, not part of it ("see https://a.org/x.").
_AFTER_LINK = ".,;:!?'\"\u201d\u2019"


def read_evidence(texts: Iterable[str]) -> tuple[list[str], str | None]:
    """The evidence field as its annotator meant it: (links, note). Every word written as a link
    (see :data:`_LINKISH`; words split at whitespace and commas) is a link, ``www.`` ones given
    ``https://``, with the punctuation or brackets around it left out; every line with anything
    else is free text ("see the Kiel aid tracker"), kept whole, one note of those lines."""
    links, notes = [], []
    for line in "\n".join(texts).splitlines():
        words = line.replace(",", " ").split()
        linkish = [w for w in words if _LINKISH.match(w.lstrip("<(["))]
        links += [_as_link(w) for w in linkish]
        if len(linkish) < len(words):
            notes.append(" ".join(line.split()))
    return links, "\n".join(notes) or None


def _as_link(word: str) -> str:
    link = word.lstrip("<([").rstrip(_AFTER_LINK)
    for close, open_ in ((">", "<"), (")", "("), ("]", "[")):
        while link.endswith(close) and link.count(close) > link.count(open_):
            link = link[:-1].rstrip(_AFTER_LINK)
    return "https://" + link if link[:4].lower() == "www." else link


def result_values(annotation: Mapping) -> dict[str, Mapping]:
    """The annotation's control values by control name (``from_name``); raises
    :class:`MalformedAnnotation` for a payload that is not an annotation at all."""
    if not isinstance(annotation, _MAPPING):
        raise MalformedAnnotation(f"expected an annotation object, got {type(annotation).__name__}")
    if not isinstance(annotation.get("id"), int):
        raise MalformedAnnotation("annotation has no integer 'id'")
    result = annotation.get("result") or []
    if not isinstance(result, list):
        raise MalformedAnnotation(f"annotation {annotation['id']}: 'result' is not a list")
    by_name: dict[str, Mapping] = {}
    for item in result:
        if isinstance(item, _MAPPING):
            value = item.get("value")
            if isinstance(value, _MAPPING):
                by_name[item.get("from_name")] = value
    return by_name


def chosen(value: Mapping | None) -> str | None:
    """A Choices control's value: the one choice, several joined by commas (for the suite to
    fail), or None."""
    choices = _as_list(value.get("choices")) if value is not None else []
    return choices[0] if len(choices) == 1 else (",".join(map(str, choices)) or None)


def common_fields(
    annotation: Mapping, *, users: Mapping[int, str] | None, task_id: int | None, project_id: int | None
) -> dict:
    """What every label row has, whatever the task is about: ids, annotator, times, cancelled,
    who last changed it and, when that was someone other than its author, who (``edited_by_id``)."""
    annotator_id = _user_id(annotation)
    updated_by_id = _user_id(annotation, "updated_by")
    created_at, updated_at = _time(annotation, "created_at"), _time(annotation, "updated_at")
    users = users or {}
    return {
        "annotation_id": annotation["id"],
        "task_id": annotation.get("task") if task_id is None else task_id,
        "project_id": annotation.get("project") if project_id is None else project_id,
        "annotator_id": annotator_id,
        "annotator": users.get(annotator_id) if annotator_id is not None else None,
        "lead_time": annotation.get("lead_time"),
        "created_at": created_at,
        "updated_at": updated_at,
        "was_cancelled": _cancelled(annotation),
        "updated_by_id": updated_by_id,
        "updated_by": users.get(updated_by_id) if updated_by_id is not None else None,
        "edited_by_id": edited_by(annotator_id, updated_by_id, created_at, updated_at),
    }


def edited_by(author: int | None, updated_by: int | None, created_at: datetime | None, updated_at: datetime | None) -> int | None:
    """The user who edited someone else's annotation (``updated_by``, when it is not the author
    and wrote after the creation, see :data:`EDIT_GRACE`), else None."""
    if updated_by is None or author is None or updated_by == author:
        return None
    if created_at is not None and updated_at is not None and updated_at - created_at <= EDIT_GRACE:
        return None  # created on the author's behalf, never edited
    return updated_by


def _check_worthy(value: Mapping | None, controls: ClaimControls):
    """The "worth checking?" answer: True or False for the config's two choices, None when not
    given; anything else is kept as given, for the expectation suite to refuse."""
    choices = _as_list(value.get("choices")) if value is not None else []
    if not choices:
        return None
    yes, no = controls.checkworthy.choices[:2]
    if choices == [yes]:
        return True
    if choices == [no]:
        return False
    return ",".join(map(str, choices))


def annotation_result(
    *,
    verdict: str | None,
    confidence: int | None = None,
    rationale: str | None = None,
    evidence: list[str] | None = None,
    check_worthy: bool | None = None,
    controls: ClaimControls | None = None,
) -> list[dict]:
    """The ``result`` list Label Studio stores for an annotation with these values (for tests,
    benchmarks and scripted annotators)."""
    controls = controls or claim_controls()
    out = []
    if verdict is not None:
        c = controls.verdict
        out.append({"from_name": c.name, "to_name": c.to_name, "type": c.result_type, "value": {"choices": [verdict]}})
    if confidence is not None:
        c = controls.confidence
        out.append({"from_name": c.name, "to_name": c.to_name, "type": c.result_type, "value": {"rating": confidence}})
    if rationale:
        c = controls.rationale
        out.append({"from_name": c.name, "to_name": c.to_name, "type": c.result_type, "value": {"text": [rationale]}})
    if evidence:
        c = controls.evidence
        out.append({"from_name": c.name, "to_name": c.to_name, "type": c.result_type, "value": {"text": list(evidence)}})
    if check_worthy is not None:
        c = controls.checkworthy
        out.append({"from_name": c.name, "to_name": c.to_name, "type": c.result_type,
                    "value": {"choices": [c.choices[0] if check_worthy else c.choices[1]]}})
    return out
