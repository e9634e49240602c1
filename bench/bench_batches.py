"""Check-worthiness graphs alone and in batches: for each ONNX file, whether every score is the
same alone as in batches of 64 (sorted by length, and shuffled), the speed at batch 1 and batch 64
in sentences per CPU second (one thread; CPU time, which holds on a shared machine), and F1 at the
shipped model's calibration and threshold on ct24_dev and ct24_dev-test.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_batches.py claims/models/checkworthy-minilm/model.onnx OLD.onnx

(OLD.onnx: e.g. the dynamically quantised export, `git show a5e97f3:claims/models/checkworthy-minilm/model.onnx`.)
Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("models", nargs="+", type=Path, help="ONNX files (inputs input_ids, attention_mask; output logit)")
    args = ap.parse_args()

    import numpy as np

    from claims import checkworthy
    from claims.checkworthy_encoder import OUTPUT, logits, model_files
    from claims.encoder import EncoderFiles, OnnxTextModel
    from training.data import CHECKWORTHINESS_DATA, read_tsv
    from training.metrics import binary_metrics

    shipped = checkworthy.load_model()
    rows = {name: read_tsv(CHECKWORTHINESS_DATA / f"ct24_{name}.tsv") for name in ("dev", "dev-test")}
    texts = [r[1] for name in rows for r in rows[name]]
    tokenizer = model_files(checkworthy.ENCODER_MODEL_DIR).tokenizer
    shuffled = np.random.default_rng(0).permutation(len(texts))
    for path in args.models:
        model = OnnxTextModel(EncoderFiles(path.name, path, tokenizer, int(shipped.meta["max_length"])), threads=1)
        speed = {}
        for batch in (1, 64):
            t = time.process_time()
            z = logits(model, texts, batch)
            speed[batch] = len(texts) / (time.process_time() - t)
            if batch == 1:
                alone = z
            else:
                sorted_equal = np.array_equal(z, alone)
        mixed = np.empty(len(texts))
        for start in range(0, len(texts), 64):  # batches of 64 in a random order, padded to their longest
            rows_ = shuffled[start : start + 64]
            for positions, feed in model.batches([texts[k] for k in rows_], 64):
                mixed[rows_[positions]] = model.run(feed, OUTPUT)
        p = shipped.calibrate(alone)
        print(f"{path}: alone == batches of 64 sorted {sorted_equal}, shuffled {np.array_equal(mixed, alone)} "
              f"(max |diff| {np.abs(mixed - alone).max():.2e} in logit); {speed[1]:.0f} sentences per CPU second at batch 1, "
              f"{speed[64]:.0f} at 64")
        at = 0
        for name, labelled in rows.items():
            y = np.array([r[2] == "Yes" for r in labelled], dtype=int)
            m = binary_metrics(y, p[at : at + len(y)], shipped.threshold)
            at += len(y)
            print(f"  {name} ({len(y)} rows) at threshold {shipped.threshold}: F1 {m['f1']:.4f}, AUC {m['roc_auc']:.4f}")


if __name__ == "__main__":
    main()
