"""The matcher on the stance benchmark's report half (never fitted or tuned on), against two
baselines on the same rows: a TF-IDF cosine between headline and body (relatedness) and a count
of refuting words in the body (disagreement).

    .venv/bin/python bench/bench_stance.py [--matcher model] [--cache bench/out/stance.pkl]

The benchmark is extracted and embedded first (minutes); --cache keeps that for later runs.
Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import json
import pickle
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
STANCE = ROOT.parent / "shared" / "benchmarks" / "stance"
# The Fake News Challenge baseline's refuting words.
REFUTING = ("fake", "fraud", "hoax", "false", "deny", "denies", "not", "despite", "nope", "doubt", "doubts", "bogus",
            "debunk", "pranks", "retract")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--matcher", default="model")
    parser.add_argument("--cache", type=Path, default=ROOT / "bench" / "out" / "stance.pkl")
    args = parser.parse_args()
    from training import matcher as mt
    from claims.match import load_matcher

    data = None
    if args.cache.exists():
        from claims.match import claim_set

        try:
            data = pickle.loads(args.cache.read_bytes())
        except Exception as exc:  # made by other code: built again
            print(f"cache {args.cache} unreadable ({type(exc).__name__}: {exc}); building it again", file=sys.stderr)
    if data is not None:
        c = data.claims  # the cues are read again, so a cache made before a change of claims/cues.py is still right
        data.claims = claim_set(c.claim_ids, c.article_ids, c.texts, c.vectors, c.title_vectors, c.entities, c.times)
        # and the split, so a cache made before a change of the split is still right
        stances = [{"Headline": r["headline"], "Body ID": r["body"], "Stance": r["stance"]} for r in data.rows]
        for r, split in zip(data.rows, mt.row_split(stances)):
            r["split"] = split
    else:
        from claims.encoder import load_encoder
        from claims.pipeline import load_pipeline

        data = mt.load_stance(STANCE, load_pipeline(), load_encoder())
        args.cache.parent.mkdir(parents=True, exist_ok=True)
        args.cache.write_bytes(pickle.dumps(data))
    matcher = load_matcher(args.matcher)
    figures = mt.evaluate_stance(matcher, data, "report")

    import csv

    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.metrics import roc_auc_score

    with open(STANCE / "bodies.csv", encoding="utf-8", newline="") as f:
        bodies = {r["Body ID"]: r["articleBody"] for r in csv.DictReader(f)}
    fit = [r for r in data.rows if r["split"] == "fit"]
    report = [r for r in data.rows if r["split"] == "report"]
    tfidf = TfidfVectorizer(stop_words="english").fit([r["headline"] for r in fit] + [bodies[b] for b in {r["body"] for r in fit}])
    h = tfidf.transform([r["headline"] for r in report])
    b = tfidf.transform([bodies[r["body"]] for r in report])
    cosine = np.asarray(h.multiply(b).sum(axis=1)).ravel()
    related = np.array([r["stance"] != "unrelated" for r in report])
    refuting = np.array([sum(bodies[r["body"]].lower().split().count(w) for w in REFUTING) for r in report], dtype=float)
    disagree = np.array([r["stance"] == "disagree" for r in report])
    baselines = {
        "tfidf_cosine_relatedness_roc_auc": round(float(roc_auc_score(related, cosine)), 4),
        "refuting_words_disagreement_roc_auc": round(float(roc_auc_score(disagree[related], refuting[related])), 4),
    }
    print(json.dumps({"matcher": matcher.version, **figures, **baselines}, indent=1))


if __name__ == "__main__":
    main()
