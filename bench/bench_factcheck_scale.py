"""The fact-check library at desk scale and beyond: N fact-checks (1M by default) imported with
`claimflow factchecks import`, the lookup's TF-IDF index built over them, and one claim's lookup
against all of them.

    .venv/bin/python bench/bench_factcheck_scale.py --size 1000000

1. Import: N ClaimReview lines made of real sentences (the NLI benchmark's premises and
   hypotheses, ../shared, each with a review number so every claim differs), through
   `claimflow factchecks import` into a fresh warehouse: seconds, fact-checks per second, peak
   memory of the command.
2. Embedding: the encoder's rate on a sample of those claims (claims per second, one process);
   the library is embedded once, so N / rate is a one-off cost (not run at 1M here).
3. Index and lookup, in this process: the TF-IDF index over the N texts (seconds, peak memory)
   and one claim's lookup (claims/lookup.py: cosine against N unit vectors plus the TF-IDF
   candidates, the first score, then the re-ranker over the best 10 and the final score), median
   and 95th percentile over 50 claims. The library's vectors
   are random unit vectors of the encoder's size: the lookup's cost does not depend on their values.

Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
NLI_DATA = ROOT.parent / "shared" / "benchmarks" / "nli" / "nli_pairs.jsonl.gz"
OUT = ROOT / "bench" / "out" / "factcheck_scale"


def sentences() -> list[str]:
    seen, out = set(), []
    with gzip.open(NLI_DATA, "rt", encoding="utf-8") as f:
        for row in map(json.loads, f):
            for text in (row["premise"], row["hypothesis"]):
                text = " ".join(text.split())
                if len(text.split()) >= 5 and text not in seen:
                    seen.add(text)
                    out.append(text)
    return out


def library(n: int) -> list[str]:
    pool = sentences()
    return [f"{pool[k % len(pool)]} (review {k})" for k in range(n)]


def peak_child_mb() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--embed-sample", type=int, default=5_000)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    texts = library(args.size)
    source = OUT / f"reviews_{args.size}.jsonl"
    with open(source, "w", encoding="utf-8") as f:
        for k, text in enumerate(texts):
            f.write(json.dumps({"@type": "ClaimReview", "url": f"https://factdesk.example/review/{k}", "claimReviewed": text,
                                "reviewRating": {"alternateName": ("False", "Mostly false", "True")[k % 3]},
                                "author": {"name": "Example Fact Desk"}, "datePublished": "2026-01-01"}) + "\n")
    db = OUT / f"library_{args.size}.duckdb"
    for stale in (db, db.with_suffix(".duckdb.wal")):
        stale.unlink(missing_ok=True)
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", "factchecks", "import", str(source), "--db", str(db)], env=env,
                          capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stdout[-2000:] + done.stderr[-2000:])
    imported = time.perf_counter() - started
    result = {"size": args.size, "import_s": round(imported, 1), "import_per_s": round(args.size / imported),
              "import_peak_mb": round(peak_child_mb())}

    from claims.encoder import load_encoder
    from claims.lookup import lexical_index, load_lookup, load_reranker, look_up

    encoder = load_encoder()
    sample = texts[: args.embed_sample]
    started = time.perf_counter()
    encoder.encode(sample)
    result["embed_per_s"] = round(len(sample) / (time.perf_counter() - started))
    result["embed_all_s_estimated"] = round(args.size / result["embed_per_s"])

    started = time.perf_counter()
    index = lexical_index(texts)
    result["index_s"] = round(time.perf_counter() - started, 1)
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((args.size, 384), dtype=np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    queries = [texts[k] for k in rng.choice(args.size, 50, replace=False)]
    query_vectors = encoder.encode(queries)
    model = load_lookup()
    reranker = load_reranker(model)
    times = []
    for q, v in zip(queries, query_vectors):
        started = time.perf_counter()
        look_up([q], v[None, :], vectors, index, model, library_texts=texts, reranker=reranker)
        times.append(time.perf_counter() - started)
    result["lookup_ms_median"] = round(1000 * float(np.median(times)), 1)
    result["lookup_ms_p95"] = round(1000 * float(np.percentile(times, 95)), 1)
    result["peak_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
