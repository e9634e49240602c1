"""Matching benchmark: the NLI cross-encoder against bare onnxruntime, and `claimflow match` on
10k and 50k claims from many overlapping stories.

    .venv/bin/python bench/bench_match.py                       # NLI speed, then 10k and 50k claims
    .venv/bin/python bench/bench_match.py --sizes 10000 --skip-nli

1. NLI speed: real sentence pairs (MNLI dev-matched premises and hypotheses, ../shared) through
   claimflow's PairModel (pairs tokenised together, length-sorted batches of 64) and through the
   bare model (the same tokenizer and ONNX session, batches of 64 in the pairs' order, padded to
   each batch's longest), in pairs per second and their ratio, one thread each.
2. `claimflow match` as a user runs it, each size in a warehouse of its own: articles made of
   real sentences (CheckThat! 2024 train, beside the project) grouped into stories: each story
   has a pool of 40 sentences, each article 20 sentences, 15 from its story's pool and 5 from
   anywhere, one word of every other sentence dropped (wire copies are edited); story sizes
   follow a long tail (1 to 60 articles), so big stories are there. `claimflow ingest` builds the
   warehouse once (kept in bench/out/); each run matches a fresh copy of it, in a process of its
   own: wall seconds (embedding included), its peak memory, article pairs related, claim pairs the
   NLI model read and per claim.

Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SENTENCES = ROOT.parent / "shared" / "benchmarks" / "checkworthiness" / "ct24_train.tsv"
NLI_DATA = ROOT.parent / "shared" / "benchmarks" / "nli" / "nli_pairs.jsonl.gz"
PER_ARTICLE, FROM_STORY, POOL = 20, 15, 40


def sentences() -> list[str]:
    from training.data import read_tsv

    seen, out = set(), []
    for row in read_tsv(SENTENCES):
        text = " ".join(row[1].split())
        if len(text.split()) >= 6 and text not in seen and text[-1:] in ".!":
            seen.add(text)
            out.append(text)
    return out


def bench_nli(n: int) -> dict:
    from claims.nli import load_nli

    with gzip.open(NLI_DATA, "rt", encoding="utf-8") as f:
        rows = [r for r in map(json.loads, f) if r["dataset"] == "mnli" and r["split"] == "dev_matched"][:n]
    first, second = [r["premise"] for r in rows], [r["hypothesis"] for r in rows]
    model = load_nli(threads=1)
    model.probabilities(first[:64], second[:64])  # warm up
    started = time.perf_counter()
    ours = model.probabilities(first, second)
    ours_s = time.perf_counter() - started
    tokenizer, session = model.tokenizer, model.session
    started = time.perf_counter()
    bare = []
    for start in range(0, len(rows), 64):
        encodings = tokenizer.encode_batch(list(zip(first[start : start + 64], second[start : start + 64])))
        width = max(len(e.ids) for e in encodings)
        pad = lambda values: np.array([v + [0] * (width - len(v)) for v in values], dtype=np.int64)  # noqa: E731
        ids, types = pad([e.ids for e in encodings]), pad([e.type_ids for e in encodings])
        mask = pad([[1] * len(e.ids) for e in encodings])
        logits = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": types})[0]
        p = np.exp(logits - logits.max(axis=1, keepdims=True))
        bare.append(p / p.sum(axis=1, keepdims=True))
    bare_s = time.perf_counter() - started
    return {"pairs": len(rows), "claimflow_per_s": round(len(rows) / ours_s, 1), "bare_per_s": round(len(rows) / bare_s, 1),
            "ratio": round(bare_s / ours_s, 2), "max_abs_difference": float(np.abs(ours - np.concatenate(bare)).max())}


def corpus(n_claims: int, seed: int = 0) -> list[dict]:
    """Articles of real sentences in overlapping stories (see the module's docstring)."""
    rng = np.random.default_rng(seed)
    pool = sentences()
    n_articles = n_claims // PER_ARTICLE
    sizes = []
    while sum(sizes) < n_articles:
        sizes.append(int(min(60, 1 + rng.pareto(1.2) * 3)))
    sizes[-1] -= sum(sizes) - n_articles
    articles, cursor = [], 0
    for story, size in enumerate(sizes):
        own = pool[cursor : cursor + POOL]
        cursor = (cursor + POOL) % (len(pool) - POOL)
        for n in range(size):
            picked = [own[k] for k in rng.choice(len(own), FROM_STORY, replace=False)]
            picked += [pool[k] for k in rng.choice(len(pool), PER_ARTICLE - FROM_STORY, replace=False)]
            edited = []
            for k, text in enumerate(picked):
                words = text.split()
                if k % 2 and len(words) > 6:
                    del words[int(rng.integers(1, len(words) - 1))]
                edited.append(" ".join(words))
            articles.append({"url": f"bench:story{story}:article{n}", "title": f"Story {story}, report {n}",
                             "text": "\n\n".join(edited)})
    return articles


def claimflow(args: list[str], db: Path) -> tuple[float, str]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "flows.cli", *args, "--db", str(db)], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"claimflow {args[0]} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return time.perf_counter() - started, done.stdout


def bench_matching(n: int) -> dict:
    import duckdb

    OUT.mkdir(parents=True, exist_ok=True)
    ingested = OUT / f"match_{n}.duckdb"
    if not ingested.exists():
        source = OUT / f"match_{n}.jsonl"
        source.write_text("".join(json.dumps(a) + "\n" for a in corpus(n)), encoding="utf-8")
        claimflow(["ingest", str(source)], ingested)
    db = OUT / f"match_{n}.matched.duckdb"
    db.unlink(missing_ok=True)
    shutil.copyfile(ingested, db)
    seconds, printed = claimflow(["match"], db)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    counts = {k.strip(): v.strip() for k, v in re.findall(r"│ ([a-z ]+?)\s+│ ([\d.]+)\s+│", printed)}
    con = duckdb.connect(str(db), read_only=True)
    claims = con.execute("SELECT count(*) FROM claims").fetchone()[0]
    articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    scored = int(counts.get("pairs scored", 0))
    return {"claims": claims, "articles": articles, "match_seconds": round(seconds, 1), "peak_mb": round(peak),
            "article_pairs_related": int(counts.get("article pairs related", 0)), "pairs_scored": scored,
            "pairs_scored_per_claim": round(2 * scored / max(claims, 1), 2), "pairs_kept": int(counts.get("pairs kept", 0))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000])
    parser.add_argument("--nli-pairs", type=int, default=2000)
    parser.add_argument("--skip-nli", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_matching(args.one)))
        return
    if not args.skip_nli:
        print("nli:", json.dumps(bench_nli(args.nli_pairs)), flush=True)
    for n in args.sizes:
        result = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True, text=True)
        if result.returncode:
            sys.exit(result.stderr[-3000:])
        print(f"matching {n}:", result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
