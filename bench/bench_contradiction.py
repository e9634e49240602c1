"""Contradiction finding through the pipeline, as a user runs it: the articles of each evaluation
set (bench/contradiction_data.py) in with `claimflow ingest`, then `claimflow match`, then the
figures read from the warehouse's article_pairs and claim_pairs tables, on labelled article
pairs none of the models was trained or tuned on.

    .venv/bin/python bench/contradiction_data.py bench/out/contradiction
    .venv/bin/python bench/bench_contradiction.py bench/out/contradiction [--sets stance-report arc-test mnli]

Per set, each figure with the rows it rests on:
- relatedness ROC AUC: related (agree, discuss, disagree) against unrelated article pairs, scored
  by article_pairs.relatedness (0 for a pair never compared);
- found: the share of related pairs, and of disagreeing pairs, with at least one claim pair in
  claim_pairs;
- disagreement ROC AUC: among related pairs, disagree (MNLI: contradiction) against the rest,
  scored by the highest contradiction of their claim pairs (0 when none was kept);
- two baselines on the same rows: the articles' TF-IDF cosine for relatedness, and a count of
  refuting words in the second article for disagreement (FNC-1's baseline features).

`claimflow ingest` runs once per set (the warehouse is kept as ingested.duckdb in the set's
folder); each run of this script matches a fresh copy of it. Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
CLAIMFLOW = [sys.executable, "-m", "flows.cli"]
REFUTING = ("fake", "fraud", "hoax", "false", "deny", "denies", "not", "despite", "nope", "doubt", "doubts", "bogus",
            "debunk", "pranks", "retract")
RELATED = {"agree", "discuss", "disagree", "entailment", "neutral", "contradiction"}
DISAGREE = {"disagree", "contradiction"}


def run(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(CLAIMFLOW + args, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"claimflow {' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return time.perf_counter() - started


def auc(y: np.ndarray, scores: np.ndarray) -> float | None:
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, scores)), 4) if 0 < y.sum() < len(y) else None


def evaluate(folder: Path, env: dict) -> dict:
    import duckdb

    ingested = folder / "ingested.duckdb"
    seconds = {}
    if not ingested.exists():
        seconds["ingest"] = round(run(["ingest", str(folder / "articles.jsonl"), "--db", str(ingested)], env), 1)
    db = folder / "matched.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    shutil.copyfile(ingested, db)
    seconds["match"] = round(run(["match", "--db", str(db)], env), 1)

    with open(folder / "pairs.tsv", encoding="utf-8", newline="") as f:
        labelled = list(csv.DictReader(f, delimiter="\t"))
    con = duckdb.connect(str(db), read_only=True)
    article_of = dict(con.execute("SELECT url, article_id FROM articles").fetchall())
    texts = dict(con.execute("SELECT article_id, text FROM articles").fetchall())
    related_score = {(a, b): (r, json.loads(f)["tfidf"]) for a, b, r, f in
                     con.execute("SELECT article_id_a, article_id_b, relatedness, features FROM article_pairs").fetchall()}
    # claim_pairs orders a pair by claim id, article_pairs by article id: both read as (lower, higher)
    contradiction = {(a, b): c for a, b, c in con.execute(
        "SELECT least(article_id_a, article_id_b), greatest(article_id_a, article_id_b), max(contradiction) "
        "FROM claim_pairs GROUP BY ALL").fetchall()}
    claims, scored = con.execute("SELECT count(*) FROM claims").fetchone()[0], con.execute("SELECT count(*) FROM claim_pairs").fetchone()[0]
    con.close()

    rows = []
    for r in labelled:
        a, b = article_of.get(r["url_a"]), article_of.get(r["url_b"])
        if a is None or b is None or a == b:
            continue  # an article without text, or two identical texts (one article)
        key = (min(a, b), max(a, b))
        relatedness, tfidf = related_score.get(key, (0.0, 0.0))
        words = re.findall(r"[a-z]+", texts[b].lower())
        rows.append((r["label"], relatedness, tfidf, key in contradiction, contradiction.get(key, 0.0),
                     sum(w in REFUTING for w in words)))
    label = np.array([r[0] for r in rows])
    related = np.isin(label, list(RELATED))
    disagree = np.isin(label, list(DISAGREE))
    found = np.array([r[3] for r in rows])
    column = lambda k: np.array([r[k] for r in rows], dtype=float)  # noqa: E731
    out = {
        "set": folder.name, "articles": len(article_of), "claims": claims, "claim_pairs": scored, "seconds": seconds,
        "labelled_pairs": len(rows), "related_pairs": int(related.sum()), "unrelated_pairs": int((~related).sum()),
        "relatedness_roc_auc": auc(related, column(1)), "baseline_tfidf_roc_auc": auc(related, column(2)),
        "related_found": round(float(found[related].mean()), 4) if related.any() else None,
        "disagree_pairs": int(disagree.sum()),
        "disagree_found": round(float(found[disagree].mean()), 4) if disagree.any() else None,
        "disagreement_roc_auc": auc(disagree[related], column(4)[related]),
        "baseline_refuting_words_roc_auc": auc(disagree[related], column(5)[related]),
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--sets", nargs="+", default=["stance-report", "arc-test", "mnli"])
    args = parser.parse_args()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    for name in args.sets:
        print(json.dumps(evaluate(args.folder / name, env)), flush=True)


if __name__ == "__main__":
    main()
