"""Check-worthiness by a learned model: a calibrated probability in [0, 1] per sentence.

The model (scorer ``cw-...``, replacing the hand-set ``rules-v1`` of :mod:`claims.score`) is a
class-balanced logistic regression over three blocks of features of the sentence's text:

- TF-IDF of lower-cased word 1-2-grams,
- TF-IDF of character 2-5-grams within words (digits folded to ``0``, so "3.5%" and "7.2%"
  share features: numbers generalise, speaker names matter less),
- the text-only rule cues of :func:`claims.score.text_features` (question, opinion, prediction,
  hedges, first person, quote, causal, length, digits),

followed by a Platt calibration fitted on out-of-debate predictions for the dev split, so the
score is a probability. It needs nothing but the text: no tagger or parser, so it scores
thousands of sentences a second on one core, and gives the same score whatever pipeline split
the sentence. :func:`training.checkworthy.train` builds it; the artifact is plain JSON and NumPy
arrays (no pickles) in ``claims/models/checkworthy/``.

Use :func:`score_texts` for lists of strings, or :func:`score_spans` for spaCy sentences.

Which model: the functions here take a scorer name or a folder. :data:`MODEL` (``model``, the
default) is check-worthiness v2, the fine-tuned sentence encoder of
:mod:`claims.checkworthy_encoder` shipped in ``claims/models/checkworthy-minilm/``; :data:`TFIDF`
(``tfidf``) is the TF-IDF model above, shipped in ``claims/models/checkworthy/``; a folder holds
either kind (an encoder folder has a ``model.onnx``). Both kinds give calibrated probabilities and
carry their own threshold.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from claims.checkworthy_encoder import CalibratedModel, read_meta
from claims.score import text_features

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

__all__ = [
    "DEFAULT_MODEL_DIR",
    "ENCODER_MODEL_DIR",
    "MODEL",
    "TFIDF",
    "TFIDF_MODEL_DIR",
    "model_dir",
    "open_model",
    "CheckworthyModel",
    "char_features",
    "load_model",
    "model_meta",
    "model_version",
    "rule_vector",
    "score_spans",
    "score_texts",
    "threshold",
    "word_features",
]

MODEL = "model"
TFIDF = "tfidf"
TFIDF_MODEL_DIR = Path(__file__).resolve().parent / "models" / "checkworthy"
ENCODER_MODEL_DIR = Path(__file__).resolve().parent / "models" / "checkworthy-minilm"
DEFAULT_MODEL_DIR = ENCODER_MODEL_DIR
META_FILE = "meta.json"
WEIGHTS_FILE = "weights.npz"
VOCAB_FILE = "vocab.json"

# The feature extractors are shared by training (training.checkworthy) and scoring: one definition.
_WORD = re.compile(r"(?u)\b\w\w+\b")
_SPACES = re.compile(r"\s\s+")
_DIGIT = re.compile(r"\d")
RULE_NAMES = (
    "words", "short", "hedges", "digit", "quote", "prediction", "opinion", "causal",
    "first_person", "question",
)


def word_features(text: str) -> list[str]:
    """Lower-cased word unigrams and bigrams (words of two or more word characters)."""
    tokens = _WORD.findall(text.lower())
    return tokens + [a + " " + b for a, b in zip(tokens, tokens[1:])]


def char_features(text: str) -> list[str]:
    """Character 2-5-grams inside space-padded words, lower-cased, every digit folded to 0."""
    out: list[str] = []
    append = out.append
    for w in _DIGIT.sub("0", _SPACES.sub(" ", text.lower())).split():
        w = " " + w + " "
        size = len(w)
        for n in range(2, 6):
            if size <= n:  # a short word counts once (as scikit-learn's char_wb does)
                append(w)
                break
            for i in range(size - n + 1):
                append(w[i : i + n])
    return out


def rule_vector(text: str) -> list[float]:
    """The text-only rule cues of :mod:`claims.score`, scaled to [0, 1], in ``RULE_NAMES`` order."""
    f = text_features(text)
    return [
        min(f["words"], 40) / 40,
        float(f["words"] < 6),
        min(f["hedges"], 2) / 2,
        float(bool(_DIGIT.search(text))),
        float(f["quote"]),
        float(f["prediction"]),
        float(f["opinion"]),
        float(f["causal"]),
        float(f["first_person"]),
        float(f["question"]),
    ]


@dataclass(frozen=True)
class _Block:
    """One TF-IDF block: feature -> column, idf and the regression weights of its columns."""

    index: dict[str, int]
    idf: np.ndarray
    coef: np.ndarray


class CheckworthyModel(CalibratedModel):
    """A loaded TF-IDF model: ``score(texts)`` gives calibrated probabilities in [0, 1]."""

    def __init__(self, model_dir: str | Path):
        super().__init__(model_dir)
        arrays = np.load(self.path / WEIGHTS_FILE)
        vocab = json.loads((self.path / VOCAB_FILE).read_text(encoding="utf-8"))
        self._blocks = (
            (word_features, _Block({f: i for i, f in enumerate(vocab["word"])}, arrays["word_idf"], arrays["word_coef"])),
            (char_features, _Block({f: i for i, f in enumerate(vocab["char"])}, arrays["char_idf"], arrays["char_coef"])),
        )
        self._rule_coef = arrays["rule_coef"]
        self._intercept = float(arrays["intercept"][0])

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """The uncalibrated linear score (log-odds of the class-balanced regression)."""
        n = len(texts)
        z = np.full(n, self._intercept)
        if n == 0:
            return z
        for extract, block in self._blocks:
            rows: list[int] = []
            cols: list[int] = []
            get = block.index.get
            for r, text in enumerate(texts):
                found = [c for c in map(get, extract(text)) if c is not None]
                cols.extend(found)
                rows.extend([r] * len(found))
            if not cols:
                continue
            # Sum duplicate (row, col) pairs into counts, then sublinear tf * idf, l2 per row.
            key = np.asarray(rows, dtype=np.int64) * len(block.idf) + np.asarray(cols, dtype=np.int64)
            uniq, counts = np.unique(key, return_counts=True)
            r_idx, c_idx = np.divmod(uniq, len(block.idf))
            val = (1.0 + np.log(counts)) * block.idf[c_idx]
            norm = np.sqrt(np.bincount(r_idx, weights=val * val, minlength=n))
            dot = np.bincount(r_idx, weights=val * block.coef[c_idx], minlength=n)
            z += np.divide(dot, norm, out=np.zeros(n), where=norm > 0)
        z += np.asarray([rule_vector(t) for t in texts]) @ self._rule_coef
        return z


def model_dir(model: str | Path | None = None) -> Path:
    """The folder of scorer ``model``: :data:`MODEL` or None (the shipped encoder model),
    :data:`TFIDF` (the shipped TF-IDF model), or a folder."""
    if model is None or str(model) == MODEL:
        return DEFAULT_MODEL_DIR
    if str(model) == TFIDF:
        return TFIDF_MODEL_DIR
    return Path(model)


def open_model(folder: str | Path):
    """The model in ``folder``, of whichever kind it is, loaded now (not cached)."""
    from claims import checkworthy_encoder

    if checkworthy_encoder.is_encoder_model(folder):
        return checkworthy_encoder.EncoderCheckworthyModel(folder)
    return CheckworthyModel(folder)


@functools.lru_cache(maxsize=4)
def _load(path: str):
    return open_model(path)


def load_model(model: str | Path | None = None):
    """The model ``model`` (see :func:`model_dir`; default: the shipped encoder model), loaded
    once per process: a :class:`CheckworthyModel` or a
    :class:`claims.checkworthy_encoder.EncoderCheckworthyModel`. Both have ``score(texts)``,
    ``decision(texts)``, ``calibrate(z)``, ``version`` and ``threshold``."""
    return _load(str(model_dir(model).resolve()))


def model_meta(model: str | Path | None = None) -> dict:
    """The model's meta.json (version, threshold, metrics) without loading its weights."""
    return read_meta(model_dir(model))


def model_version(model: str | Path | None = None) -> str:
    """The scorer label to record with every claim it scored (``cw-YYYYMMDD-<short>`` for a
    TF-IDF model, ``cw-minilm-YYYYMMDD-<short>`` for an encoder model)."""
    return model_meta(model)["version"]


def threshold(model: str | Path | None = None) -> float:
    """The model's decision threshold (a probability), chosen when it was trained."""
    return float(model_meta(model)["threshold"])


def score_texts(texts: Iterable[str], model: str | Path | None = None, batch_size: int = 2048) -> list[float]:
    """Calibrated check-worthiness in [0, 1] for each text, in order, by scorer ``model``."""
    model = load_model(model)
    texts = list(texts)
    out: list[float] = []
    for i in range(0, len(texts), batch_size):
        out.extend(round(float(p), 4) for p in model.score(texts[i : i + batch_size]))
    return out


def score_spans(spans: Iterable[Span | Doc], model: str | Path | None = None) -> list[float]:
    """Scores of spaCy sentences (Spans) or Docs: only their text is used."""
    return score_texts([s.text for s in spans], model)

