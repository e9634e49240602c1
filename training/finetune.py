"""The fine-tuning job of the check-worthiness encoder, run by the training venv's python
(``.venv-train``: torch and transformers; set up by ``training/setup_venv.sh``). The pipeline
never runs it; its module imports nothing but numpy until a job starts (torch, transformers and
onnxruntime are imported inside the job).

    .venv-train/bin/python -m training.finetune JOB_DIR

:func:`training.checkworthy.train_encoder` writes ``JOB_DIR/spec.json`` (options, base model,
tokenizer) and ``JOB_DIR/rows.jsonl`` (``text``, ``label`` 0/1, ``fold``: the fold of the row's
block of debates), runs this, then calibrates on what it leaves behind. The jobs named in the
spec's ``jobs``:

- ``fold-K`` for each fold K: fine-tune on the rows of every other fold, export to int8 ONNX, and
  score the rows of fold K with that ONNX file through :class:`claims.encoder.OnnxTextModel` (the
  code that scores at ingest): ``fold-K/logits.npy`` and ``fold-K/index.npy``. These are the
  out-of-debate scores the calibration and the threshold are fitted on.
- ``final``: fine-tune on all rows and export ``final/model.onnx`` (int8).

For the job named by the spec's ``ship`` (the model to ship), the result also says how far the
int8 graph's logits are from torch's on a sample of rows.

The model: all-MiniLM-L6-v2 (word embeddings frozen), mean pooling over the tokens, one linear
unit; loss: logistic with the positive class weighted by negatives/positives. Batches hold texts
of similar length (sorted within windows of 50 batches), the order is seeded, and each job runs
in a process of its own with one torch thread (``workers`` jobs at a time): two threads in one
process are several times slower than one on a machine whose cores are shared.

Progress goes to the log (stderr), one line per job and every ``log_every`` steps. Every file it
writes is in the job folder.
"""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

log = logging.getLogger("training.finetune")

SPEC_FILE = "spec.json"
ROWS_FILE = "rows.jsonl"
RESULT_FILE = "result.json"
DONE_FILE = "done.json"
OUTPUT = "logit"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        sys.stderr.write("usage: python -m training.finetune JOB_DIR\n")
        return 2
    _log_to_stderr()
    job = Path(args[0])
    spec = json.loads((job / SPEC_FILE).read_text(encoding="utf-8"))
    names = spec["jobs"]
    started = time.perf_counter()
    import multiprocessing

    with ProcessPoolExecutor(int(spec["workers"]), mp_context=multiprocessing.get_context("spawn")) as pool:
        results = dict(zip(names, pool.map(run_job, [str(job)] * len(names), names)))
    summary = {"seconds": round(time.perf_counter() - started, 1), "jobs": results}
    (job / RESULT_FILE).write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    log.info("all jobs done in %.0f s", summary["seconds"])
    return 0


def _log_to_stderr() -> None:
    """This module's progress lines on stderr (the quantiser's own chatter stays silent)."""
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    logging.getLogger().setLevel(logging.ERROR)


def run_job(job_dir: str, name: str) -> dict:
    """Train one model (``final`` or ``fold-K``), export it, and score its held-out fold. A job
    already done (its ``done.json`` written last) is not run again: a re-run of a stopped
    training with the same job folder finishes the rest."""
    _log_to_stderr()
    job = Path(job_dir)
    done = job / name / DONE_FILE
    key = fingerprint(job)
    if done.is_file():
        result = json.loads(done.read_text(encoding="utf-8"))
        if result.get("fingerprint") == key:
            log.info("%s: already done (%s)", name, done)
            return result
    import torch

    spec = json.loads((job / SPEC_FILE).read_text(encoding="utf-8"))
    torch.set_num_threads(int(spec["threads"]))
    rows = [json.loads(line) for line in (job / ROWS_FILE).read_text(encoding="utf-8").splitlines() if line]
    fold = None if name == "final" else int(name.split("-")[1])
    train_idx = [i for i, r in enumerate(rows) if r["fold"] != fold]
    out = job / name
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    # A different but fixed seed per job: the same data and seed give the same models.
    seed = int(spec["seed"]) * 1000 + (fold + 1 if fold is not None else 0)
    model = train_model(spec, [rows[i]["text"] for i in train_idx], [rows[i]["label"] for i in train_idx], seed, name)
    trained = time.perf_counter() - started
    export_int8(model, out / "model.onnx", spec)
    result = {"rows": len(train_idx), "train_seconds": round(trained, 1), "fingerprint": key}
    if name == spec["ship"]:
        sample = [r["text"] for r in rows[:: max(1, len(rows) // 512)]][:512]
        torch_logits = torch_scores(model, spec, sample)
        onnx_logits = onnx_scores(out / "model.onnx", spec, sample)
        result["int8_vs_torch"] = {
            "max_abs_diff": round(float(np.max(np.abs(onnx_logits - torch_logits))), 4),
            "mean_abs_diff": round(float(np.mean(np.abs(onnx_logits - torch_logits))), 4),
            "correlation": round(float(np.corrcoef(onnx_logits, torch_logits)[0, 1]), 5),
            "n": len(sample),
        }
    if fold is not None:
        held = np.array([i for i, r in enumerate(rows) if r["fold"] == fold], dtype=np.int64)
        logits = onnx_scores(out / "model.onnx", spec, [rows[i]["text"] for i in held])
        np.save(out / "index.npy", held)
        np.save(out / "logits.npy", logits.astype(np.float64))
        result["held_out"] = int(len(held))
    result["seconds"] = round(time.perf_counter() - started, 1)
    done.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    log.info("%s: done in %.0f s (%s)", name, result["seconds"], result)
    return result


# Options that do not change what a job computes.
_NOT_IN_FINGERPRINT = {"workers", "jobs", "ship", "log_every", "keep_fp32"}


def fingerprint(job: Path) -> str:
    """sha256 of the rows and of the options that decide what a job computes."""
    import hashlib

    spec = json.loads((job / SPEC_FILE).read_text(encoding="utf-8"))
    digest = hashlib.sha256(json.dumps({k: v for k, v in spec.items() if k not in _NOT_IN_FINGERPRINT}, sort_keys=True).encode())
    digest.update((job / ROWS_FILE).read_bytes())
    return digest.hexdigest()


def _scorer_module(spec: dict):
    """The model: the base encoder, mean pooling over the tokens, one linear unit (the logit)."""
    import torch
    from transformers import AutoModel

    class Scorer(torch.nn.Module):
        def __init__(self):
            super().__init__()
            # Eager attention: the graph exports to ONNX as plain MatMuls (quantisable).
            self.encoder = AutoModel.from_pretrained(spec["base_model"], attn_implementation="eager")
            layers = int(spec.get("layers") or 0)
            if layers:
                self.encoder.encoder.layer = self.encoder.encoder.layer[:layers]
                self.encoder.config.num_hidden_layers = layers
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(pooled).squeeze(-1)

    return Scorer()


def _tokenizer(spec: dict):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(spec["tokenizer"])
    tok.no_padding()
    tok.enable_truncation(int(spec["max_length"]))
    return tok


def _batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator):
    """One pass over the rows in random order, as batches of rows of similar length."""
    order = rng.permutation(len(lengths))
    window = batch_size * 50
    batches = []
    for start in range(0, len(order), window):
        chunk = order[start : start + window]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _tensors(encodings, rows):
    import torch

    width = max(len(encodings[i].ids) for i in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for r, i in enumerate(rows):
        tokens = encodings[i].ids
        ids[r, : len(tokens)] = torch.tensor(tokens)
        mask[r, : len(tokens)] = 1
    return ids, mask


def train_model(spec: dict, texts: list[str], labels: list[int], seed: int, name: str = "model"):
    """Fine-tune the scorer on ``texts`` for ``spec['epochs']`` passes (fractions allowed)."""
    import torch

    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = _scorer_module(spec)
    for p in model.encoder.embeddings.word_embeddings.parameters():
        p.requires_grad_(False)
    encodings = _tokenizer(spec).encode_batch(texts)
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    y = torch.tensor(labels, dtype=torch.float32)
    positives = float(y.sum())
    pos_weight = torch.tensor((len(labels) - positives) / max(positives, 1.0))
    batch_size = int(spec["batch_size"])
    steps = max(1, math.ceil(float(spec["epochs"]) * len(texts) / batch_size))
    warmup = max(1, int(steps * float(spec["warmup"])))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=float(spec["lr"]), weight_decay=float(spec["weight_decay"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup))
    )
    model.train()
    started, step, running = time.perf_counter(), 0, 0.0
    log.info("%s: %d rows (%d positive), %d steps of %d", name, len(texts), int(positives), steps, batch_size)
    while step < steps:
        for rows in _batches(lengths, batch_size, rng):
            if step >= steps:
                break
            ids, mask = _tensors(encodings, rows)
            logits = model(ids, mask)
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y[rows], pos_weight=pos_weight)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running += float(loss.detach())
            if step % int(spec["log_every"]) == 0 or step == steps:
                elapsed = time.perf_counter() - started
                log.info("%s: step %d/%d, loss %.4f, %.0f s, %.1f rows/s", name, step, steps,
                         running / int(spec["log_every"]), elapsed, step * batch_size / elapsed)
                running = 0.0
    model.eval()
    return model


def export_int8(model, path: Path, spec: dict) -> None:
    """Write the model as ONNX (inputs input_ids, attention_mask; output ``logit``), then
    quantise its weights to int8 (dynamic quantisation: about a quarter of the size). Weights
    are quantised per output channel and to 7 bits (``reduce_range``): on CPUs without VNNI
    (such as this machine's) 8-bit weights saturate onnxruntime's integer kernels. Measured on
    the first model here, that took the int8 graph's logits from a mean distance of 0.30 from
    the fp32 graph's (correlation 0.993) to 0.10 (0.9987), at the same speed."""
    import torch

    fp32 = path.with_name(path.stem + "-fp32.onnx")
    ids = torch.ones((2, 8), dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, mask), str(fp32), input_names=["input_ids", "attention_mask"], output_names=[OUTPUT],
            dynamic_axes={"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"}, OUTPUT: {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    quantize(fp32, path)
    if not spec.get("keep_fp32"):
        fp32.unlink()


def quantize(fp32: Path, path: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(str(fp32), str(path), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True)


def torch_scores(model, spec: dict, texts: list[str]) -> np.ndarray:
    import torch

    encodings = _tokenizer(spec).encode_batch(texts)
    out = np.empty(len(texts))
    with torch.no_grad():
        for start in range(0, len(texts), 64):
            rows = list(range(start, min(start + 64, len(texts))))
            ids, mask = _tensors(encodings, rows)
            out[rows] = model(ids, mask).numpy()
    return out


def onnx_scores(path: Path, spec: dict, texts: list[str]) -> np.ndarray:
    """Logits of the ONNX file through the pipeline's own runtime code (one text per run, as
    the scorer at ingest runs it)."""
    from claims.checkworthy_encoder import logits
    from claims.encoder import EncoderFiles, OnnxTextModel

    files = EncoderFiles(path.parent.name, path, Path(spec["tokenizer"]), int(spec["max_length"]))
    return logits(OnnxTextModel(files, threads=int(spec["threads"])), texts)


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
