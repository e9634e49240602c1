"""The labelled data the models are trained on: check-worthiness TSVs (CheckThat!-style, and the
rows `claimflow export-training` writes from the warehouse) and the stance benchmark's CSVs.

File I/O: :func:`read_tsv` and :func:`write_tsv` read and write the TSVs, :func:`read_stance`
the stance benchmark; :func:`texts_and_labels` and :func:`debate_block` are pure.
"""

from __future__ import annotations

import csv
import re
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from training.errors import DatasetError

__all__ = [
    "BENCHMARKS", "CHECKWORTHINESS_DATA", "STANCE_DATA", "RepairedRowWarning", "Row", "debate_block", "read_stance",
    "read_tsv", "texts_and_labels", "write_tsv",
]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The benchmarks beside the project (the inputs training/project.yml declares as assets).
BENCHMARKS = PROJECT_ROOT.parent / "shared" / "benchmarks"
# CLEF CheckThat! 2024 task 1, English: ct24_train.tsv, ct24_dev.tsv, ct24_dev-test.tsv.
CHECKWORTHINESS_DATA = BENCHMARKS / "checkworthiness"
# Real news headline / body pairs labelled agree, disagree, discuss, unrelated (FNC-1 training data).
STANCE_DATA = BENCHMARKS / "stance"

Row = tuple[str, str, str]  # (sentence id, text, "Yes" | "No")

LABELS = {"Yes", "No"}
HEADER = ["Sentence_id", "Text", "class_label"]
# A known defect of ct24_train.tsv: two rows joined by a missing line break, which reads as the
# label "No29286" followed by the next row's text and label. Repaired into the two rows.
_JOINED = re.compile(r"^(Yes|No)(\d+)$")


class RepairedRowWarning(UserWarning):
    """A known malformed row (two rows joined into one line) was split back into two."""


def read_tsv(path: str | Path) -> list[Row]:
    """Rows ``(id, text, label)`` of a TSV with header ``Sentence_id, Text, class_label``.

    Read with quoting off; a text wrapped in double quotes loses them. A line with two rows run
    together (``... <TAB>No29286<TAB>text<TAB>No``) is split back into both, with a
    :class:`RepairedRowWarning`. Any other bad row raises :class:`DatasetError` naming file
    and line.
    """
    path = Path(path)
    rows: list[Row] = []
    try:
        handle = path.open(newline="", encoding="utf-8")
    except OSError as e:
        raise DatasetError(path, f"cannot open: {e.strerror or e}") from e
    with handle:
        reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = next(reader, None)
        if header is None or [h.strip() for h in header] != HEADER:
            raise DatasetError(path, f"expected the header {HEADER}, found {header}", line=1)
        for record in reader:
            line = reader.line_num
            if not record or record == [""]:
                continue
            if len(record) == 5 and (m := _JOINED.match(record[2].strip())):
                first = _row(path, line, [record[0], record[1], m.group(1)])
                second = _row(path, line, [m.group(2), record[3], record[4]])
                warnings.warn(
                    f"{path}:{line}: malformed label {record[2]!r} (two rows on one line); "
                    f"repaired into rows {first[0]} ({first[2]}) and {second[0]} ({second[2]})",
                    RepairedRowWarning,
                    stacklevel=2,
                )
                rows += [first, second]
                continue
            if len(record) != 3:
                raise DatasetError(path, f"expected 3 tab-separated columns, found {len(record)}", line=line)
            rows.append(_row(path, line, record))
    return rows


def write_tsv(path: str | Path, rows: Sequence[Row]) -> int:
    """Write rows in the same format (tabs and line breaks inside a text become spaces, so
    :func:`read_tsv` reads every row back); return how many."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        handle.write("\t".join(HEADER) + "\n")
        for sid, text, label in rows:
            if label not in LABELS:
                raise ValueError(f"row {sid}: label {label!r} is not Yes or No")
            handle.write(f"{sid}\t{' '.join(text.split())}\t{label}\n")
    return len(rows)


def _row(path: Path, line: int, record: list[str]) -> Row:
    sid, text, label = (x.strip() for x in record)
    if len(text) >= 2 and text[0] == text[-1] == '"':
        text = text[1:-1].strip()
    if label not in LABELS:
        raise DatasetError(path, f"bad label {label!r} (expected Yes or No)", line=line)
    if not sid:
        raise DatasetError(path, "missing Sentence_id", line=line)
    if not text:
        raise DatasetError(path, "empty Text", line=line)
    return sid, text, label


def texts_and_labels(rows: Sequence[Row]) -> tuple[list[str], np.ndarray]:
    """The rows' texts, and their labels as 1 (Yes) and 0 (No)."""
    return [r[1] for r in rows], np.array([r[2] == "Yes" for r in rows], dtype=int)


def debate_block(sid: str, block: int) -> int:
    """Debate block of a row: sentence ids are consecutive within a debate, so ``block``
    consecutive ids make one block. Ids that are not numbers (rows from annotators) are spread
    over blocks by a stable hash."""
    return int(sid) // block if sid.isdigit() else -1 - zlib.crc32(sid.encode()) % 64


def read_stance(folder: str | Path, limit: int | None = None) -> tuple[list[dict], dict[str, str]]:
    """The stance benchmark in ``folder``: the rows of ``stances.csv`` (``Headline``, ``Body ID``,
    ``Stance``; the first ``limit`` only, if given) and the article bodies of ``bodies.csv`` by
    body id."""
    folder = Path(folder)
    with open(folder / "stances.csv", encoding="utf-8", newline="") as f:
        stances = list(csv.DictReader(f))[:limit]
    with open(folder / "bodies.csv", encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    return stances, bodies
