"""Training and evaluating the check-worthiness model of :mod:`claims.checkworthy`.

Pure functions (no printing): :func:`read_tsv` reads a CheckThat!-style TSV, :func:`train` fits
the model on train rows, selects its threshold and calibration on dev rows and writes the
artifact, :func:`evaluate` scores labelled rows with a written model.

How the threshold is chosen: train and dev come from the same debates, so a model trained on
train is more confident on dev than on new debates, and a threshold tuned on its dev scores is
too high elsewhere. So the dev rows are scored out of fold by five models, each trained without
the block of debates (a range of sentence ids) the dev row comes from (option ``repeats``
averages over several random partitions of blocks into folds; default one); the Platt calibration and
the F1-best threshold (the mean over bootstrap resamples of dev, for stability) are fitted on
those out-of-debate scores, then applied to the model trained on all the train rows.
"""

from __future__ import annotations

import csv
import datetime as _dt
import hashlib
import json
import re
import time
import warnings
import zlib
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from claims.checkworthy import (
    META_FILE,
    RULE_NAMES,
    VOCAB_FILE,
    WEIGHTS_FILE,
    CheckworthyModel,
    char_features,
    rule_vector,
    word_features,
)
from claims.errors import SourceError

__all__ = ["DatasetError", "RepairedRowWarning", "Row", "evaluate", "read_tsv", "train", "write_tsv"]

Row = tuple[str, str, str]  # (sentence id, text, "Yes" | "No")

LABELS = {"Yes", "No"}
HEADER = ["Sentence_id", "Text", "class_label"]
# A known defect of ct24_train.tsv: two rows joined by a missing line break, which reads as the
# label "No29286" followed by the next row's text and label. Repaired into the two rows.
_JOINED = re.compile(r"^(Yes|No)(\d+)$")

DEFAULTS = {
    "C": 1.0,  # inverse L2 strength of the logistic regression
    "min_df": 2,
    "id_block": 2000,  # sentence ids per block of debates in the out-of-debate folds
    "folds": 5,
    "repeats": 1,  # out-of-debate scores averaged over this many random fold partitions
    "bootstraps": 200,
}


class DatasetError(SourceError):
    """A labelled TSV could not be read; the message names the file and line."""


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


# --- training ------------------------------------------------------------------------------------


def _xy(rows: Sequence[Row]) -> tuple[list[str], np.ndarray]:
    return [r[1] for r in rows], np.array([r[2] == "Yes" for r in rows], dtype=int)


def _group(sid: str, block: int) -> int:
    """Debate block of a row: sentence ids are consecutive within a debate. Ids that are not
    numbers (rows from annotators) are spread over blocks by a stable hash."""
    return int(sid) // block if sid.isdigit() else -1 - zlib.crc32(sid.encode()) % 64


class _Fitted:
    """A fitted model in memory (scikit-learn objects), before export."""

    def __init__(self, texts: list[str], y: np.ndarray, C: float, min_df: int):
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self._hstack, self._csr = hstack, csr_matrix
        self.word = TfidfVectorizer(analyzer=word_features, sublinear_tf=True, min_df=min_df)
        self.char = TfidfVectorizer(analyzer=char_features, sublinear_tf=True, min_df=min_df)
        self.word.fit(texts)
        self.char.fit(texts)
        self.lr = LogisticRegression(C=C, class_weight="balanced", max_iter=5000)
        self.lr.fit(self.matrix(texts), y)

    def matrix(self, texts: Sequence[str]):
        rules = self._csr(np.asarray([rule_vector(t) for t in texts], dtype=float).reshape(len(texts), len(RULE_NAMES)))
        return self._hstack([self.word.transform(texts), self.char.transform(texts), rules]).tocsr()

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        return self.lr.decision_function(self.matrix(texts))


def _best_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> tuple[float, float]:
    best_t, best_f = float(grid[0]), -1.0
    pos = y.sum()
    for t in grid:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        denom = int(pred.sum()) + pos
        f = 2 * tp / denom if denom else 0.0
        if f > best_f:
            best_t, best_f = float(t), f
    return best_t, best_f


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def _binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    from sklearn.metrics import brier_score_loss, roc_auc_score

    pred = p >= threshold
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both = len(set(y.tolist())) == 2
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "brier": round(float(brier_score_loss(y, p)), 4) if len(y) else None,
        "ece": round(_ece(y, p), 4) if len(y) else None,
        "n": int(len(y)),
        "positives": int(y.sum()),
        "threshold": round(float(threshold), 4),
    }


def _ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ten equal-width probability bins."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return float(total / len(y))


def reliability(y: Sequence[int], p: Sequence[float], bins: int = 10) -> list[dict]:
    """Per probability bin: count, mean predicted probability, observed positive rate."""
    y, p = np.asarray(y), np.asarray(p)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        if m.any():
            out.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "n": int(m.sum()),
                        "predicted": round(float(p[m].mean()), 3), "observed": round(float(y[m].mean()), 3)})
    return out


def train(
    train_rows: Sequence[Row],
    dev_rows: Sequence[Row],
    out_dir: str | Path,
    extra_rows: Sequence[Row] | None = None,
    seed: int = 0,
    **options,
) -> dict:
    """Fit the model on ``train_rows`` (+ ``extra_rows``), calibrate it and choose its threshold
    on ``dev_rows`` (out of debate, see the module notes), write it to ``out_dir`` and return
    the metrics. Deterministic for a given ``seed``. ``options`` override :data:`DEFAULTS`."""
    unknown = set(options) - set(DEFAULTS)
    if unknown:
        raise TypeError(f"unknown training options: {sorted(unknown)}")
    opts = {**DEFAULTS, **options}
    started = time.perf_counter()
    rows = list(train_rows) + list(extra_rows or [])
    texts, y = _xy(rows)
    dev_texts, dev_y = _xy(dev_rows)
    if len(set(y.tolist())) < 2 or len(set(dev_y.tolist())) < 2:
        raise ValueError("train and dev rows must each hold both labels")

    # 1. Out-of-debate scores for dev: fold k's model never saw dev row's block of debates.
    block = int(opts["id_block"])
    groups = np.array([_group(r[0], block) for r in rows])
    dev_groups = np.array([_group(r[0], block) for r in dev_rows])
    all_groups = np.unique(np.concatenate([groups, dev_groups]))
    rng = np.random.default_rng(seed)
    z_oof = np.zeros(len(dev_rows))
    for _ in range(opts["repeats"]):
        fold_of = dict(zip(all_groups.tolist(), rng.permutation(len(all_groups)) % opts["folds"]))
        train_fold = np.array([fold_of[g] for g in groups])
        dev_fold = np.array([fold_of[g] for g in dev_groups])
        for k in range(opts["folds"]):
            idx = np.flatnonzero(dev_fold == k)
            if not len(idx):
                continue
            keep = train_fold != k
            model = _Fitted([t for t, m in zip(texts, keep) if m], y[keep], opts["C"], opts["min_df"])
            z_oof[idx] += model.decision([dev_texts[i] for i in idx]) / opts["repeats"]

    # 2. Calibration (Platt) and threshold on the out-of-debate dev scores.
    a, b = _platt(z_oof, dev_y)
    q_oof = 1.0 / (1.0 + np.exp(-(a * z_oof + b)))
    grid = np.round(np.arange(0.05, 0.951, 0.005), 3)
    picks = []
    for _ in range(opts["bootstraps"]):
        i = rng.integers(0, len(dev_y), len(dev_y))
        picks.append(_best_threshold(dev_y[i], q_oof[i], grid)[0])
    threshold = round(float(np.mean(picks)), 4)

    # 3. The shipped model: all train rows.
    final = _Fitted(texts, y, opts["C"], opts["min_df"])
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    nw, nc = len(final.word.vocabulary_), len(final.char.vocabulary_)
    coef = final.lr.coef_[0]
    arrays = {
        "word_idf": final.word.idf_.astype(np.float32),
        "word_coef": coef[:nw].astype(np.float32),
        "char_idf": final.char.idf_.astype(np.float32),
        "char_coef": coef[nw : nw + nc].astype(np.float32),
        "rule_coef": coef[nw + nc :].astype(np.float64),
        "intercept": final.lr.intercept_.astype(np.float64),
    }
    np.savez_compressed(out / WEIGHTS_FILE, **arrays)
    vocab = {
        "word": [f for f, _ in sorted(final.word.vocabulary_.items(), key=lambda kv: kv[1])],
        "char": [f for f, _ in sorted(final.char.vocabulary_.items(), key=lambda kv: kv[1])],
    }
    (out / VOCAB_FILE).write_text(json.dumps(vocab, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    digest = hashlib.sha1()
    for name in sorted(arrays):
        digest.update(arrays[name].tobytes())
    digest.update(json.dumps([a, b, threshold]).encode())
    version = f"cw-{_dt.datetime.now(_dt.UTC):%Y%m%d}-{digest.hexdigest()[:7]}"

    dev_oof = _binary_metrics(dev_y, q_oof, threshold)
    meta = {
        "version": version,
        "threshold": threshold,
        "calibration": {"method": "platt", "a": a, "b": b, "fitted_on": "dev, out-of-debate scores"},
        "features": {"word": "1-2-grams, lower", "char": "2-5-grams in words, digits -> 0",
                     "rules": list(RULE_NAMES), "vocab": {"word": nw, "char": nc}},
        "options": opts,
        "seed": seed,
        "train_rows": len(rows),
        "extra_rows": len(extra_rows or []),
        "dev_rows": len(dev_rows),
        "metrics": {"dev_out_of_debate": dev_oof},
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")

    # 4. The exported model must score as scikit-learn does.
    shipped = CheckworthyModel(out)
    export_diff = float(np.max(np.abs(shipped.decision(dev_texts) - final.decision(dev_texts))))
    dev_in = evaluate(out, dev_rows, threshold)
    meta["metrics"]["dev_in_domain"] = dev_in
    meta["metrics"]["export_max_abs_diff"] = export_diff
    meta["train_seconds"] = round(time.perf_counter() - started, 1)
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return {
        "version": version,
        "threshold": threshold,
        "dev_out_of_debate": dev_oof,
        "dev_in_domain": dev_in,
        "export_max_abs_diff": export_diff,
        "train_rows": len(rows),
        "train_seconds": meta["train_seconds"],
    }


def evaluate(model_dir: str | Path, rows: Sequence[Row], threshold: float | None = None) -> dict:
    """Precision, recall, F1 of the Yes class at ``threshold`` (default: the model's own), ROC
    AUC, Brier score and ECE of the calibrated scores, on labelled ``rows``."""
    model = CheckworthyModel(model_dir)
    texts, y = _xy(rows)
    p = model.score(texts)
    return _binary_metrics(y, p, model.threshold if threshold is None else threshold)
