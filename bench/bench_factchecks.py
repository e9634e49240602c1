"""Fact-check lookup through the pipeline, as a user runs it, on the CLEF 2020 CheckThat! Task 2
data (../shared/benchmarks/factcheck-retrieval): the 10,375 verified claims written as schema.org
ClaimReview JSON Lines and imported with `claimflow factchecks import`, a split's tweets written
as articles (JSON Lines) and ingested with `claimflow ingest`, then `claimflow match`. A tweet's
ranking is its fact-checks ordered by their best `score` over the tweet's claims (table
claim_fact_checks); the figures are MAP@5 and P@1, and how many tweets gave no claim.

    .venv/bin/python bench/bench_factchecks.py bench/out/factchecks --split dev

The lookup was fitted on the train split only (training/lookup.py). Matches below
CLAIMFLOW_FACTCHECK_MIN_SCORE are not stored, so the run sets it to 0 to rank every candidate.
Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DATA = ROOT.parent / "shared" / "benchmarks" / "factcheck-retrieval"


def claimflow(args: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"claimflow {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started


def write_inputs(folder: Path, split: str) -> None:
    from training.lookup import read_library, read_queries

    ids, claims, titles = read_library(DATA)
    with open(folder / "factchecks.jsonl", "w", encoding="utf-8") as f:
        for i, c, t in zip(ids, claims, titles):
            f.write(json.dumps({"@context": "https://schema.org", "@type": "ClaimReview", "url": f"https://clef2020.example/vclaim/{i}",
                                "claimReviewed": c, "name": t, "author": {"@type": "Organization", "name": "Snopes"}}) + "\n")
    q_ids, texts, _ = read_queries(DATA, split)
    with open(folder / f"tweets-{split}.jsonl", "w", encoding="utf-8") as f:
        for q, text in zip(q_ids, texts):
            f.write(json.dumps({"url": f"https://clef2020.example/tweet/{q}", "title": "", "text": text}) + "\n")


def average_precision(ranked: list[str], relevant: set[str], k: int = 5) -> float:
    hits, total = 0, 0.0
    for n, item in enumerate(ranked[:k], 1):
        if item in relevant:
            hits += 1
            total += hits / n
    return total / min(len(relevant), k) if relevant else 0.0


def main() -> None:
    import duckdb

    from training.lookup import read_queries

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", default="dev")
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True)
    write_inputs(args.folder, args.split)
    db = args.folder / f"{args.split}.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT), CLAIMFLOW_FACTCHECK_MIN_SCORE="0")
    seconds = {"import": claimflow(["factchecks", "import", str(args.folder / "factchecks.jsonl"), "--db", str(db)], env),
               "ingest": claimflow(["ingest", str(args.folder / f"tweets-{args.split}.jsonl"), "--db", str(db)], env),
               "match": claimflow(["match", "--db", str(db)], env)}
    q_ids, _, relevant = read_queries(DATA, args.split)
    con = duckdb.connect(str(db), read_only=True)
    best = con.execute("""
        SELECT a.url, m.fact_check_id, f.url AS fc_url, max(m.score) AS score
        FROM claim_fact_checks m JOIN claims c USING (claim_id) JOIN articles a USING (article_id)
        JOIN fact_checks f USING (fact_check_id) GROUP BY ALL""").fetchall()
    with_claims = {u for (u,) in con.execute("SELECT DISTINCT a.url FROM claims JOIN articles a USING (article_id)").fetchall()}
    ranking: dict[str, list[tuple[float, str]]] = {}
    for url, _, fc_url, score in best:
        ranking.setdefault(url.rsplit("/", 1)[1], []).append((score, fc_url.rsplit("/", 1)[1]))
    aps, p1 = [], []
    for q in q_ids:
        ranked = [v for _, v in sorted(ranking.get(q, []), key=lambda x: (-x[0], x[1]))]
        aps.append(average_precision(ranked, relevant.get(q, set())))
        p1.append(float(bool(ranked) and ranked[0] in relevant.get(q, set())))
    print(json.dumps({"split": args.split, "tweets": len(q_ids),
                      "tweets_without_claims": sum(1 for q in q_ids if f"https://clef2020.example/tweet/{q}" not in with_claims),
                      "map_at_5": round(sum(aps) / len(aps), 4), "p_at_1": round(sum(p1) / len(p1), 4),
                      "seconds": {k: round(v, 1) for k, v in seconds.items()}}))


if __name__ == "__main__":
    main()
