"""Check-worthiness model benchmark: scoring speed on one core, against the raw library doing
the same work, quality on the held-out dev-test split, and (with ``--train``) training time.

    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_model.py                  # the default: the encoder (v2)
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_model.py --model tfidf    # the TF-IDF model
    OMP_NUM_THREADS=1 .venv/bin/python bench/bench_model.py --model tfidf --train --out /tmp/cw-model

For the encoder, the raw library is onnxruntime running the same graph in batches of 64 texts of
similar length, and one text per run (how the scorer ran a dynamically quantised model, whose
scores depend on their batch); the scorer batches as the model's meta allows (64 for the
shipped, statically quantised model).

Speed: ``claims.checkworthy.score_texts`` (the shipped model: its own featurizer in NumPy) and
the same model as scikit-learn objects (``TfidfVectorizer.transform`` + ``decision_function``,
the raw library), over the dev-test sentences repeated to ``--sentences``. Quality: F1 at the
model's threshold (chosen on dev), precision, recall, ROC AUC, Brier score and a reliability
table on ct24_dev-test.tsv. Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):  # one core
    os.environ.setdefault(_var, "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = Path(os.environ.get("CLAIMFLOW_CW_DATA", ROOT.parent / "shared" / "benchmarks" / "checkworthiness"))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="scorer: 'model' (default, the encoder), 'tfidf', or a model folder")
    ap.add_argument("--sentences", type=int, default=20000, help="sentences to score for the speed figure")
    ap.add_argument("--train", action="store_true", help="train a TF-IDF model end to end first and time it (the encoder: `claimflow train`)")
    ap.add_argument("--out", default=None, help="where --train writes the model (default: a temp dir)")
    ap.add_argument("--data", default=str(DATA), help="folder with ct24_train/dev/dev-test.tsv")
    args = ap.parse_args()

    from claims import checkworthy
    from training.checkworthy import evaluate, train
    from training.data import RepairedRowWarning, read_tsv
    from training.metrics import reliability

    data = Path(args.data)
    model_dir = args.model
    if args.train:
        out = args.out or tempfile.mkdtemp(prefix="cw-model-")
        t0 = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", RepairedRowWarning)
            train_rows = read_tsv(data / "ct24_train.tsv")
            dev_rows = read_tsv(data / "ct24_dev.tsv")
        for w in caught:
            print(f"note: {w.message}")
        metrics = train(train_rows, dev_rows, out, seed=0)
        wall = time.perf_counter() - t0
        print(f"training: {wall:.1f} s wall (read + fit + calibrate + write), {len(train_rows)} train rows -> {out}")
        print(f"  version {metrics['version']}, threshold {metrics['threshold']}, export diff {metrics['export_max_abs_diff']:.2e}")
        print(f"  dev (out of debate): {metrics['dev_out_of_debate']}")
        print(f"  dev (in domain):     {metrics['dev_in_domain']}")
        model_dir = out

    model = checkworthy.load_model(model_dir)
    model_dir = model_dir or checkworthy.MODEL
    size = sum(f.stat().st_size for f in Path(model.path).iterdir() if f.is_file())
    print(f"model {model.version} at {model.path} ({size / 1e6:.1f} MB), threshold {model.threshold}")

    test_rows = read_tsv(data / "ct24_dev-test.tsv")
    texts = [r[1] for r in test_rows]
    work = (texts * (args.sentences // len(texts) + 1))[: args.sentences]

    encoder = hasattr(model, "model")  # an EncoderCheckworthyModel holds its OnnxTextModel
    # Raw library: the same model as scikit-learn objects (TF-IDF), or onnxruntime batched (encoder).
    raw = _onnx_batched(model) if encoder else _sklearn_twin(model)
    raw(work[:100])
    t0 = time.perf_counter()
    raw(work)
    raw_s = time.perf_counter() - t0

    checkworthy.score_texts(work[:100], model_dir)  # warm
    t0 = time.perf_counter()
    scores = checkworthy.score_texts(work, model_dir)
    ours_s = time.perf_counter() - t0
    assert len(scores) == len(work)
    print(f"scoring {len(work)} sentences on one core:")
    print(f"  claims.checkworthy.score_texts: {len(work) / ours_s:,.0f} sentences/s")
    what = "onnxruntime, batches of 64 of similar length" if encoder else "scikit-learn (TfidfVectorizer.transform + predict_proba)"
    print(f"  raw {what}: {len(work) / raw_s:,.0f} sentences/s")
    print(f"  ratio ours/raw: {raw_s / ours_s:.2f}")
    if encoder:
        one = _onnx_batched(model, 1)
        t0 = time.perf_counter()
        one(work[:2000])
        print(f"  raw onnxruntime, one text per run: {min(2000, len(work)) / (time.perf_counter() - t0):,.0f} sentences/s")

    # Through spaCy: a blank English pipeline with a scoring component (what a spaCy user would run).
    nlp = _spacy_pipeline(model_dir)
    spacy_n = min(5000, len(work)) if not encoder else min(1000, len(work))
    t0 = time.perf_counter()
    n = sum(1 for _ in nlp.pipe(work[:spacy_n], batch_size=256))
    sp_s = time.perf_counter() - t0
    print(f"  spaCy blank:en + a check-worthiness component, nlp.pipe: {n / sp_s:,.0f} sentences/s")
    print(f"peak memory: {peak_mb():.0f} MB")

    m = evaluate(model.path, test_rows)
    print(f"ct24_dev-test.tsv at the model's own threshold: {m}")
    import numpy as np

    p = np.array(checkworthy.score_texts(texts, model_dir))
    y = np.array([r[2] == "Yes" for r in test_rows], dtype=int)
    print("reliability on dev-test (bin, n, mean predicted, observed):")
    for row in reliability(y, p):
        print(f"  {row['bin']}  n={row['n']:4d}  predicted={row['predicted']:.3f}  observed={row['observed']:.3f}")


def _spacy_pipeline(model_dir):
    """A blank English pipeline whose one component sets ``doc.cats["CHECKWORTHY"]``, scoring a
    batch of Docs in one model call. claimflow itself needs no component (extraction scores the
    sentences it found with ``score_texts``); this is what a spaCy user would add."""
    import spacy
    from spacy.language import Language
    from spacy.util import minibatch

    from claims import checkworthy

    class Checkworthy:
        def __init__(self, model):
            self.model = checkworthy.load_model(model)

        def __call__(self, doc):
            return next(iter(self.pipe([doc])))

        def pipe(self, docs, batch_size: int = 512):
            for batch in minibatch(docs, batch_size):
                for doc, p in zip(batch, self.model.score([d.text for d in batch])):
                    doc.cats["CHECKWORTHY"] = float(p)
                    yield doc

    if not Language.has_factory("bench_checkworthy"):
        Language.factory("bench_checkworthy", default_config={"model": None}, func=lambda nlp, name, model: Checkworthy(model))
    nlp = spacy.blank("en")
    nlp.add_pipe("bench_checkworthy", config={"model": str(model_dir) if model_dir else None})
    return nlp


def _onnx_batched(model, size: int = 64):
    """The encoder's graph run by onnxruntime in batches of ``size`` texts of similar length."""
    from claims.checkworthy_encoder import OUTPUT

    def score(texts):
        for _, feed in model.model.batches(texts, size):
            model.model.run(feed, OUTPUT)

    return score


def _sklearn_twin(model):
    """The artifact as scikit-learn objects (vectorizers with the same vocabulary and idf, and
    the regression), so the raw library's speed on the same work can be measured."""
    import numpy as np
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer

    from claims.checkworthy import char_features, rule_vector, word_features

    vecs = []
    for analyzer, (_, block) in zip((word_features, char_features), model._blocks):
        v = TfidfVectorizer(analyzer=analyzer, sublinear_tf=True, vocabulary=block.index)
        v.fit(["x"])  # sets up the vocabulary; idf replaced below
        v.idf_ = block.idf.astype(np.float64)
        vecs.append(v)
    coef = np.concatenate([model._blocks[0][1].coef, model._blocks[1][1].coef, model._rule_coef])

    def score(texts):
        X = hstack([v.transform(texts) for v in vecs] + [csr_matrix(np.asarray([rule_vector(t) for t in texts]))]).tocsr()
        return model.calibrate(X @ coef + model._intercept)

    return score


if __name__ == "__main__":
    main()
