"""The gate every batch of label rows passes before it lands: the ``labels`` suite on the batch
as pandas, then referential checks as DuckDB SQL against the warehouse (a label for a claim or
task the warehouse does not know, a second label by the same annotator for a claim)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from importlib import resources
from operator import itemgetter

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from expectations.gate import ROW, Validation, validate

SUITE = "labels"
FRAME_COLUMNS = (
    "annotation_id", "task_id", "project_id", "claim_id", "annotator_id", "verdict", "confidence",
    "lead_time", "created_at", "updated_at", "was_cancelled",
)
_REFERENCE_SCHEMA = pa.schema(
    [(ROW, pa.int64()), ("ls_url", pa.string()), ("project_id", pa.int64()), ("task_id", pa.int64()),
     ("claim_id", pa.string()), ("annotation_id", pa.int64()), ("annotator_id", pa.int64())]
)


def _sql(name: str) -> str:
    return resources.files("expectations").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


def _int_or_none(value):
    ok = isinstance(value, int) and not isinstance(value, bool) and -(2**63) <= value < 2**63
    return value if ok else None


def _plain_series(values: Sequence) -> pd.Series:
    """An object column with every kind of missing value (None, NaN, pandas' NA, NaT) as None."""
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
    "claim_id": _TEXT, "verdict": _TEXT, "confidence": _INTEGER, "lead_time": _REAL,
}


def label_frame(labels: Sequence[dict]) -> pd.DataFrame:
    """Label rows (from annotation.results.flatten) as the frame the suite checks. Values are
    kept as they came (a confidence of "high" stays a string and fails its type check);
    evidence URLs are joined by spaces, so one bad link fails the row."""
    get = itemgetter(*FRAME_COLUMNS)
    try:
        values = [get(row) for row in labels]
    except KeyError:
        values = [tuple(row.get(c) for c in FRAME_COLUMNS) for row in labels]
    columns = dict(zip(FRAME_COLUMNS, zip(*values) if values else [()] * len(FRAME_COLUMNS)))
    data = {c: _column(v, _KINDS[c]) if c in _KINDS else _plain_series(v) for c, v in columns.items()}
    # Links joined by single spaces (whitespace inside a link splits it, and the part fails).
    data["evidence"] = _column([" ".join(" ".join(_urls(row.get("evidence_urls"))).split()) or None for row in labels], _TEXT)
    frame = pd.DataFrame(data)
    for column in ("created_at", "updated_at"):
        frame[column] = pd.to_datetime(frame[column])
    # The range checks read numbers; raw values keep their type for the type checks.
    for column in ("confidence", "lead_time"):
        if frame[column].dtype == object:
            frame[f"{column}_value"] = pd.Series([_number(v) for v in frame[column]], dtype="float64")
            # A bool is an int to Python and to the type check: shown as text, it fails it.
            frame[column] = pd.Series([repr(v) if isinstance(v, bool) else v for v in frame[column]], dtype=object)
        else:
            frame[f"{column}_value"] = frame[column].astype("float64")
    frame["was_cancelled"] = frame["was_cancelled"].fillna(False).astype(bool)
    return frame


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
    con: duckdb.DuckDBPyConnection, ls_url: str, frame: pd.DataFrame, present: Sequence[int] = ()
) -> list[tuple[int, str]]:
    """(row position, check name) for every referential check a row of the batch (as
    :func:`label_frame` gives it) fails. ``present``: the annotation ids the pulled tasks still
    have (a label of those tasks missing from it was deleted in Label Studio and does not count)."""
    if frame.empty:
        return []
    rows = len(frame)
    arrays = [pa.array(np.arange(rows), pa.int64()), pa.array([ls_url] * rows, pa.string())]
    arrays += [_arrow(frame[f.name], f.type) for f in _REFERENCE_SCHEMA if f.name not in (ROW, "ls_url")]
    con.register("batch", pa.Table.from_arrays(arrays, schema=_REFERENCE_SCHEMA))
    con.register("present", pa.table({"annotation_id": pa.array([p for p in present if -2**31 <= p < 2**31], pa.int32())}))
    try:
        return [(int(r), str(c)) for r, c in con.execute(_sql("labels_referential")).fetchall()]
    finally:
        con.unregister("batch")
        con.unregister("present")


def gate_labels(
    con: duckdb.DuckDBPyConnection, ls_url: str, labels: Sequence[dict], *, present: Sequence[int] = (), now: datetime | None = None
) -> Validation:
    """Validate a batch of label rows against the suite, then run the referential checks; the
    result's failures name every expectation a row fails."""
    frame = label_frame(labels)
    outcome = validate(SUITE, frame, now=now)
    for row, check in referential_failures(con, ls_url, frame, present):
        outcome.add(row, check)
        outcome.unexpected[check] = outcome.unexpected.get(check, 0) + 1
    return outcome
