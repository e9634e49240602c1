"""The gate every batch of label rows passes before it lands: the ``labels`` suite on the batch
as pandas, then referential checks as DuckDB SQL against the warehouse (a label for a claim or
task the warehouse does not know, a second label by the same annotator for a claim: of several
in one batch the latest lands, the others are quarantined)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources
from operator import itemgetter
from typing import TYPE_CHECKING

import duckdb
import numpy as np
import pyarrow as pa

if TYPE_CHECKING:
    import pandas as pd

from expectations.gate import ROW, Validation, validate

SUITE = "labels"
FRAME_COLUMNS = (
    "annotation_id", "task_id", "project_id", "claim_id", "annotator_id", "verdict", "confidence",
    "lead_time", "created_at", "updated_at", "was_cancelled", "edited_by_id", "check_worthy",
)
PAIR_FRAME_COLUMNS = (
    "annotation_id", "task_id", "project_id", "pair_id", "annotator_id", "relation",
    "lead_time", "created_at", "updated_at", "was_cancelled", "edited_by_id",
)


@dataclass(frozen=True)
class LabelGate:
    """What gates one kind of label rows: its suite, the frame's columns, and the warehouse
    tables the referential checks read (what a task is about, its id column, the task mapping
    and the landed labels)."""

    suite: str
    columns: tuple[str, ...]
    subject: str        # the id column: claim_id or pair_id
    subjects: str       # the table of what is labelled: claims or claim_pairs
    tasks: str
    labels: str

    @property
    def reference_schema(self) -> pa.Schema:
        return pa.schema(
            [(ROW, pa.int64()), ("ls_url", pa.string()), ("project_id", pa.int64()), ("task_id", pa.int64()),
             (self.subject, pa.string()), ("annotation_id", pa.int64()), ("annotator_id", pa.int64()),
             ("updated_at", pa.timestamp("us"))]
        )

    def referential_sql(self) -> str:
        kind = self.subject.removesuffix("_id")
        text = _sql("labels_referential")
        for key, value in {"subject": self.subject, "subjects": self.subjects, "tasks": self.tasks, "labels": self.labels,
                           "kind": kind}.items():
            text = text.replace("{" + key + "}", value)
        return text


CLAIM_GATE = LabelGate(SUITE, FRAME_COLUMNS, "claim_id", "claims", "tasks", "labels")
PAIR_GATE = LabelGate("pair_labels", PAIR_FRAME_COLUMNS, "pair_id", "claim_pairs", "pair_tasks", "pair_labels")


def _sql(name: str) -> str:
    return resources.files("expectations").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def _int_or_none(value):
    ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    return value if ok else None


def _plain_series(values: Sequence) -> pd.Series:
    """An object column with every kind of missing value (None, NaN, pandas' NA, NaT) as None."""
    import pandas as pd  # imported by the first batch, not by every command

    column = pd.Series(values, dtype=object)
    missing = column.isna()
    if missing.any():
        column[missing] = None
    return column


def _number(value) -> float:
    """The value as a float for the range checks; NaN for what is not a (sane) number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return float("nan")
    try:
        return float(value)
    except OverflowError:
        return float("inf")


def _urls(value) -> list[str]:
    return [] if value is None else [str(u) for u in value]


# Column kinds: the dtype when no value is missing, the dtype when some are, and the types a
# value may have (type(), not isinstance(): a bool is not an int here).
_INTEGER = ("int64", "Int64", frozenset({int}))
_TEXT = ("str", "str", frozenset({str}))
_REAL = ("float64", "float64", frozenset({int, float}))


def _column(values: Sequence, kind: tuple[str, str, frozenset]):
    """A typed column when every value is of the kind's types or missing, else the values as
    they came in an object column. Great Expectations checks a typed column as a whole (a type
    check reads the dtype, missing values come from the mask, ranges of numpy numbers are
    compared at once); an object column value by value, so a bad value fails its own row. Typed
    columns make the labels suite about twice as fast (bench/bench_quality.py); the failures are
    the same (tests/test_quality.py)."""
    import pandas as pd  # imported by the first batch, not by every command

    dense, nullable, types = kind
    if all(type(v) in types for v in values):
        dtype = dense
    elif all(v is None or type(v) in types for v in values):
        dtype = nullable
    else:
        return _plain_series(values)
    try:
        return pd.Series(values, dtype=dtype)
    except (TypeError, ValueError, OverflowError):  # an integer over 64 bits
        return _plain_series(values)


_KINDS = {
    "annotation_id": _INTEGER, "task_id": _INTEGER, "project_id": _INTEGER, "annotator_id": _INTEGER,
    "claim_id": _TEXT, "verdict": _TEXT, "confidence": _INTEGER, "lead_time": _REAL, "edited_by_id": _INTEGER,
    "pair_id": _TEXT, "relation": _TEXT,
}


def label_frame(labels: Sequence[dict], columns: Sequence[str] = FRAME_COLUMNS) -> pd.DataFrame:
    """Label rows (from annotation.results.flatten or flatten_pair) as the frame the suite
    checks. Values are kept as they came (a confidence of "high" stays a string and fails its
    type check); evidence URLs are joined by spaces, so one bad link fails the row."""
    import pandas as pd  # imported by the first batch, not by every command

    get = itemgetter(*columns)
    try:
        values = [get(row) for row in labels]
    except KeyError:
        values = [tuple(row.get(c) for c in columns) for row in labels]
    by_column = dict(zip(columns, zip(*values) if values else [()] * len(columns)))
    data = {c: _column(v, _KINDS[c]) if c in _KINDS else _plain_series(v) for c, v in by_column.items()}
    if "verdict" in columns:
        # Links joined by single spaces (whitespace inside a link splits it, and the part fails).
        data["evidence"] = _column([" ".join(" ".join(_urls(row.get("evidence_urls"))).split()) or None for row in labels], _TEXT)
        data["evidence_chars"] = pd.Series([evidence_chars(row) for row in labels], dtype="int64")
    # Lengths, not the texts: the suite bounds them, and the frame stays small whatever was typed.
    data["rationale_chars"] = pd.Series([_chars(row.get("rationale")) for row in labels], dtype="int64")
    frame = pd.DataFrame(data)
    for column in ("created_at", "updated_at"):
        frame[column] = pd.to_datetime(frame[column])
    # The range checks read numbers; raw values keep their type for the type checks.
    for column in [c for c in ("confidence", "lead_time") if c in columns]:
        if frame[column].dtype == object:
            frame[f"{column}_value"] = pd.Series([_number(v) for v in frame[column]], dtype="float64")
            # A bool is an int to Python and to the type check: shown as text, it fails it.
            frame[column] = pd.Series([repr(v) if isinstance(v, bool) else v for v in frame[column]], dtype=object)
        else:
            frame[f"{column}_value"] = frame[column].astype("float64")
    frame["was_cancelled"] = frame["was_cancelled"].fillna(False).astype(bool)
    return frame


def _chars(value) -> int:
    return len(value) if isinstance(value, str) else 0


def evidence_chars(row: dict) -> int:
    """Characters of a label row's evidence: its links' and its note's."""
    return sum(map(len, _urls(row.get("evidence_urls")))) + _chars(row.get("evidence_note"))


def _text_or_none(value):
    return value if isinstance(value, str) else None


def _arrow(column: pd.Series, type_: pa.DataType) -> pa.Array:
    """A frame column as Arrow: a typed column converts at once; an object column (values as
    they came) value by value, what is not of the type becoming NULL."""
    if column.dtype != object:
        return pa.array(column, type_, from_pandas=True)
    plain = _text_or_none if pa.types.is_string(type_) else _int_or_none
    return pa.array([plain(v) for v in column], type_)


def referential_failures(
    con: duckdb.DuckDBPyConnection, ls_url: str, frame: pd.DataFrame, present: Sequence[int] = (), gate: LabelGate = CLAIM_GATE
) -> list[tuple[int, str]]:
    """(row position, check name) for every referential check a row of the batch (as
    :func:`label_frame` gives it) fails. ``present``: the annotation ids the pulled tasks still
    have (a label of those tasks missing from it was deleted in Label Studio and does not count)."""
    if frame.empty:
        return []
    rows = len(frame)
    schema = gate.reference_schema
    arrays = [pa.array(np.arange(rows), pa.int64()), pa.array([ls_url] * rows, pa.string())]
    arrays += [_arrow(frame[f.name], f.type) for f in schema if f.name not in (ROW, "ls_url")]
    con.register("batch", pa.Table.from_arrays(arrays, schema=schema))
    con.register("present", pa.table({"annotation_id": pa.array([p for p in present if -2**31 <= p < 2**31], pa.int32())}))
    try:
        return [(int(r), str(c)) for r, c in con.execute(gate.referential_sql()).fetchall()]
    finally:
        con.unregister("batch")
        con.unregister("present")


def gate_labels(
    con: duckdb.DuckDBPyConnection, ls_url: str, labels: Sequence[dict], *, present: Sequence[int] = (),
    now: datetime | None = None, gate: LabelGate = CLAIM_GATE,
) -> Validation:
    """Validate a batch of label rows against the gate's suite, then run the referential checks;
    the result's failures name every expectation a row fails."""
    frame = label_frame(labels, gate.columns)
    outcome = validate(gate.suite, frame, now=now)
    for row, check in referential_failures(con, ls_url, frame, present, gate):
        outcome.add(row, check)
        outcome.unexpected[check] = outcome.unexpected.get(check, 0) + 1
    return outcome


# What a referential check (expectations/sql/labels_referential.sql) looks at.
_REFERENTIAL_FIELDS = {
    "claim_known": "claim_id", "pair_known": "pair_id", "task_known": "task_id",
    "one_label_per_claim_and_annotator": "annotator", "one_label_per_pair_and_annotator": "annotator",
}
# Frame columns derived from a label row's field (label_frame, with_epochs) -> that field.
_DERIVED = {"evidence": "evidence_urls", "confidence_value": "confidence", "lead_time_value": "lead_time",
            "rationale_chars": "rationale", "evidence_chars": "evidence"}
# Checks of a text's length: a failure names the length and the limit, never the text.
_LENGTHS = {"rationale_within_limit": lambda row: _chars(row.get("rationale")), "evidence_within_limit": evidence_chars}


@lru_cache(maxsize=8)
def length_limit(check: str, suite: str = SUITE) -> int:
    """The most characters a length check (rationale_within_limit, ...) of the suite allows."""
    from expectations.gate import suite_json

    return next(int(e["kwargs"]["max_value"]) for e in suite_json(suite)["expectations"] if e["meta"]["name"] == check)


@lru_cache(maxsize=4)
def failure_fields(suite: str = SUITE) -> dict[str, str]:
    """expectation name -> the label row's field it checks (the first, for a compound check;
    the annotator, for one label per claim (or pair) and annotator)."""
    from expectations.gate import suite_json

    fields = {}
    for e in suite_json(suite)["expectations"]:
        kwargs = e["kwargs"]
        column = kwargs.get("column") or kwargs.get("column_A") or (kwargs.get("column_list") or [None])[0]
        if column:
            column = column.removesuffix("_epoch")
            fields[e["meta"]["name"]] = _DERIVED.get(column, column)
    return fields | _REFERENTIAL_FIELDS


def describe_failure(row: dict, reasons: Sequence[str], *, task_id=None, gate: LabelGate | None = None) -> str:
    """One line naming the task, the annotation, and for each failed check the field and its
    value: ``task 12, annotation 34: evidence_urls ['see the paper'] fails evidence_urls_well_formed``."""
    fields = failure_fields((gate or CLAIM_GATE).suite)
    task = row.get("task_id", task_id)
    where = f"task {task}" + (f", annotation {row['annotation_id']}" if row.get("annotation_id") is not None else "")
    parts = []
    for reason in reasons:
        if reason == "edited_only_by_author":
            editor = row.get("updated_by") or f"user {row.get('edited_by_id')}"
            author = row.get("annotator") or f"user {row.get('annotator_id')}"
            parts.append(f"last changed by {editor} (user {row.get('edited_by_id')}), not by its author {author} "
                         f"(user {row.get('annotator_id')}): fails {reason}")
        elif reason in _LENGTHS:
            limit = length_limit(reason, (gate or CLAIM_GATE).suite)
            parts.append(f"{fields[reason]} of {_LENGTHS[reason](row):,} characters, over the {limit:,} limit: fails {reason}")
        elif reason == "payload_shape":
            parts.append(f"{row.get('payload_shape', 'not an annotation')}: fails {reason}")
        elif reason in fields:
            parts.append(f"{fields[reason]} {row.get(fields[reason])!r} fails {reason}")
        else:
            parts.append(f"fails {reason}")
    return f"{where}: " + "; ".join(parts)
