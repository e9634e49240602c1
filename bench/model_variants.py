"""Check-worthiness model variants: out-of-debate cross-validation against dev-test.

    OMP_NUM_THREADS=1 .venv/bin/python bench/model_variants.py            # every variant
    OMP_NUM_THREADS=1 .venv/bin/python bench/model_variants.py --variant shipped --variant no-char

For each variant of the shipped model's recipe (class-balanced logistic regression over word
1-2-grams, character 2-5-grams and the rule cues of claims.checkworthy), prints:

- its out-of-debate figures on train+dev: five folds by block of debates (sentence ids 2,000
  apart), so no fold is scored by a model that saw its debates. That is the figure one may
  select on;
- the same recipe fitted on all of train+dev and scored on ct24_dev-test: ROC AUC, F1 at the
  class-balanced boundary (decision 0), F1 at the threshold the cross-validation chose, and the
  best F1 any threshold would give there (for context only: choosing by it is tuning on the
  reported split).

It shows how far apart the two rankings of the variants are (see bench/README.md).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

VARIANTS: dict[str, list[dict]] = {
    "shipped": [{"C": 1.0}],
    "C=0.3": [{"C": 0.3}],
    "C=0.1": [{"C": 0.1}],
    "no-char": [{"C": 1.0, "char": False}],
    "no-rules": [{"C": 1.0, "rules": False}],
    "mean(shipped, no-char)": [{"C": 1.0}, {"C": 1.0, "char": False}],
    "mean, not balanced": [{"C": 1.0, "balanced": False}, {"C": 1.0, "char": False, "balanced": False}],
}


def main() -> None:
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    from claims.checkworthy import char_features, rule_vector, word_features
    from training.data import CHECKWORTHINESS_DATA, debate_block, read_tsv, texts_and_labels
    from training.metrics import best_threshold

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=CHECKWORTHINESS_DATA)
    parser.add_argument("--variant", action="append", choices=sorted(VARIANTS), help="default: all")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    warnings.simplefilter("ignore")

    rows = read_tsv(args.data / "ct24_train.tsv") + read_tsv(args.data / "ct24_dev.tsv")
    texts, y = texts_and_labels(rows)
    test_texts, test_y = texts_and_labels(read_tsv(args.data / "ct24_dev-test.tsv"))
    # Features are extracted once; each fit builds its vocabulary from its own rows only.
    feats = {"word": [word_features(t) for t in texts], "char": [char_features(t) for t in texts],
             "rules": np.array([rule_vector(t) for t in texts])}
    test_feats = {"word": [word_features(t) for t in test_texts], "char": [char_features(t) for t in test_texts],
                  "rules": np.array([rule_vector(t) for t in test_texts])}
    groups = np.array([debate_block(r[0], 2000) for r in rows])
    unique = np.unique(groups)
    fold_of = dict(zip(unique.tolist(), np.random.default_rng(args.seed).permutation(len(unique)) % 5))
    fold = np.array([fold_of[g] for g in groups])

    def fit(idx: np.ndarray, C: float, char: bool = True, rules: bool = True, balanced: bool = True):
        blocks = ["word"] + (["char"] if char else [])
        vectorizers = {b: TfidfVectorizer(analyzer=lambda x: x, sublinear_tf=True, min_df=2).fit([feats[b][i] for i in idx])
                       for b in blocks}

        def matrix(source: dict, index) -> object:
            parts = [vectorizers[b].transform([source[b][i] for i in index]) for b in blocks]
            if rules:
                parts.append(csr_matrix(source["rules"][index]))
            return hstack(parts).tocsr()

        model = LogisticRegression(C=C, class_weight="balanced" if balanced else None, max_iter=5000)
        model.fit(matrix(feats, idx), y[idx])
        return lambda source, index: model.decision_function(matrix(source, index))

    def f1_at(truth: np.ndarray, z: np.ndarray, threshold: float) -> float:
        return best_threshold(truth, z, np.array([threshold]))[1]

    def best(truth: np.ndarray, z: np.ndarray) -> tuple[float, float]:
        return best_threshold(truth, z, np.quantile(z, np.linspace(0.3, 0.95, 300)))

    print("variant | CV AUC | CV F1 at 0 | CV best F1 (threshold) | dev-test AUC | F1 at 0 | F1 at CV threshold | best F1 | seconds")
    for name in args.variant or list(VARIANTS):
        started = time.perf_counter()
        members = VARIANTS[name]
        oof = np.zeros(len(y))
        for k in range(5):
            train_idx, held = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
            oof[held] = np.mean([fit(train_idx, **m)(feats, held) for m in members], axis=0)
        threshold, cv_best = best(y, oof)
        everything = np.arange(len(y))
        z = np.mean([fit(everything, **m)(test_feats, np.arange(len(test_y))) for m in members], axis=0)
        print(f"{name} | {roc_auc_score(y, oof):.3f} | {f1_at(y, oof, 0.0):.3f} | {cv_best:.3f} ({threshold:+.2f}) | "
              f"{roc_auc_score(test_y, z):.3f} | {f1_at(test_y, z, 0.0):.3f} | {f1_at(test_y, z, threshold):.3f} | "
              f"{best(test_y, z)[1]:.3f} | {time.perf_counter() - started:.0f}", flush=True)


if __name__ == "__main__":
    main()
