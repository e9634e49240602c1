"""Check-worthiness v2: a fine-tuned sentence encoder, scored through onnxruntime (no torch).

The model is all-MiniLM-L6-v2 fine-tuned end to end on labelled sentences (by
:func:`training.checkworthy.train_encoder`, in the training venv: :mod:`training.finetune`),
with mean pooling and one linear unit inside the ONNX graph, whose output ``logit`` is a
log-odds. Its weights are quantised to int8 (about 23 MB). A Platt calibration turns the logit into a
probability; the calibration and the threshold were fitted on out-of-debate scores (each sentence
scored by a model that never saw its block of debates), so they hold on newer material.

A model folder holds ``model.onnx`` and ``meta.json`` (version, threshold, calibration,
``max_length``, and ``tokenizer``: either ``tokenizer.json`` in the folder or the name of a
built-in encoder of :mod:`claims.encoder` whose tokenizer it shares, as the shipped model does).

Texts are run in batches of similar length (:data:`SCORE_BATCH`) when the model's meta.json says
``"batch_invariant": true``: its graph computes each row on its own, so a text's score is the same
alone or in any batch. The shipped model is such a graph: int8 with static quantisation (fixed
activation scales calibrated on training sentences, by ``training/requantize.py``; integer
matrix products, so no rounding depends on the batch; padded positions are masked out). A graph
quantised dynamically (``quantize_dynamic``, what a fresh ``claimflow train`` exports) sets one
activation scale per batch, padding included, so a text's score would depend on the texts beside
it: such a model runs one text per run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from claims.encoder import EncoderError, EncoderFiles, OnnxTextModel, encoder_files

MODEL_FILE = "model.onnx"
META_FILE = "meta.json"
OUTPUT = "logit"
# Texts a run for a batch-invariant model (see the module notes); 1 for any other.
SCORE_BATCH = 64


def is_encoder_model(folder: str | Path) -> bool:
    """Whether ``folder`` holds a model of this kind (its ONNX file)."""
    return (Path(folder) / MODEL_FILE).is_file()


def read_meta(folder: str | Path) -> dict:
    file = Path(folder) / META_FILE
    if not file.is_file():
        raise FileNotFoundError(f"no check-worthiness model at {folder} (missing {META_FILE}); train one with `claimflow train`")
    return json.loads(file.read_text(encoding="utf-8"))


def model_files(folder: str | Path, meta: dict | None = None) -> EncoderFiles:
    """The ONNX file and tokenizer of the model in ``folder``."""
    folder = Path(folder)
    meta = meta or read_meta(folder)
    tokenizer = meta.get("tokenizer") or "tokenizer.json"
    path = folder / tokenizer
    if not path.is_file():
        path = encoder_files(tokenizer).tokenizer  # a built-in encoder's tokenizer, shared
    if not (folder / MODEL_FILE).is_file():
        raise EncoderError(f"check-worthiness model folder {folder} has no {MODEL_FILE}")
    return EncoderFiles(meta["version"], folder / MODEL_FILE, path, int(meta["max_length"]))


class CalibratedModel:
    """What every check-worthiness model folder gives: its meta.json (``version``,
    ``threshold``, Platt ``calibration``) and ``score(texts)``, calibrated probabilities in
    [0, 1], from the ``decision(texts)`` of the kind of model."""

    def __init__(self, folder: str | Path):
        self.path = Path(folder)
        self.meta = read_meta(self.path)
        cal = self.meta["calibration"]
        self._cal_a, self._cal_b = float(cal["a"]), float(cal["b"])

    @property
    def version(self) -> str:
        return self.meta["version"]

    @property
    def threshold(self) -> float:
        return float(self.meta["threshold"])

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        raise NotImplementedError

    def calibrate(self, z: np.ndarray) -> np.ndarray:
        return 1.0 / (1.0 + np.exp(-(self._cal_a * z + self._cal_b)))

    def score(self, texts: Sequence[str]) -> np.ndarray:
        """Calibrated probabilities that each text is a check-worthy factual claim."""
        return self.calibrate(self.decision(list(texts)))


class EncoderCheckworthyModel(CalibratedModel):
    """A loaded encoder model (one onnxruntime thread by default: ingest runs one per process)."""

    def __init__(self, folder: str | Path, *, threads: int = 1):
        super().__init__(folder)
        self.model = OnnxTextModel(model_files(self.path, self.meta), threads=threads)
        self.batch_size = batch_size(self.meta)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """The model's logit for each text (uncalibrated log-odds)."""
        return logits(self.model, texts, self.batch_size)


def batch_size(meta: dict) -> int:
    """How many texts a run may hold without a text's output depending on the others: many for
    a model whose meta says ``batch_invariant``, else one (see the module notes)."""
    return SCORE_BATCH if meta.get("batch_invariant") else 1


def logits(model: OnnxTextModel, texts: Sequence[str], batch: int = 1) -> np.ndarray:
    """The ``logit`` output of an ONNX scorer for each text, in runs of ``batch`` texts of similar
    length (1 unless the model is batch-invariant: see the module notes). Shared with the
    training venv, which scores the held-out folds with it."""
    out = np.empty(len(texts), dtype=np.float64)
    for positions, feed in model.batches(texts, batch):
        out[positions] = model.run(feed, OUTPUT)
    return out
