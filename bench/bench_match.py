"""Matching benchmark: the encoder against the bare model, and matching 10k to 200k claims.

    .venv/bin/python bench/bench_match.py                      # encoding, then 10k, 50k, 200k claims
    .venv/bin/python bench/bench_match.py --sizes 50000 --skip-encoding

1. Encoding: real sentences (CheckThat! 2024 train, beside the project) through claimflow's
   Encoder (length-sorted batches) and through the bare model (the same tokenizer and ONNX
   session, batches of 64 in the sentences' order, padded to each batch's longest), in
   sentences per second and their ratio.
2. Matching: ``claims.match.match`` (index, neighbours among other articles, features, both
   scores, reasons, rows for the warehouse) over n claims, each size in a fresh process so its
   peak memory is its own. The claims: real sentences and their real embeddings (encoded once,
   cached in bench/out/), repeated with noise on the vectors (each copy about 0.9 cosine from
   its original) to reach n, 25 claims an article (so a claim has a few near-paraphrases in
   other articles, and more pairs are kept than in real news). Prints seconds per step, pairs kept and
   pairs per claim, and peak memory.

Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
OUT = ROOT / "bench" / "out"
SENTENCES = ROOT.parent / "shared" / "benchmarks" / "checkworthiness" / "ct24_train.tsv"
PER_ARTICLE = 25


def sentences(n: int) -> list[str]:
    from training.data import read_tsv

    seen, out = set(), []
    for row in read_tsv(SENTENCES):
        text = row[1]
        if len(text.split()) >= 4 and text not in seen:
            seen.add(text)
            out.append(text)
        if len(out) == n:
            break
    return out


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def bench_encoding(n: int) -> dict:
    from claims.encoder import load_encoder

    texts = sentences(n)
    encoder = load_encoder()
    encoder.encode(texts[:64])  # warm up
    started = time.perf_counter()
    ours = encoder.encode(texts)
    ours_s = time.perf_counter() - started
    tokenizer, session = encoder.tokenizer, encoder.session
    started = time.perf_counter()
    bare = []
    for start in range(0, len(texts), 64):
        encodings = tokenizer.encode_batch(texts[start : start + 64])
        width = max(len(e.ids) for e in encodings)
        ids = np.array([e.ids + [0] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
        mask = np.array([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in encodings], dtype=np.int64)
        hidden = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
        pooled = (hidden * mask[..., None]).sum(1) / mask.sum(1, keepdims=True)
        bare.append(pooled / np.linalg.norm(pooled, axis=1, keepdims=True))
    bare_s = time.perf_counter() - started
    agree = float(np.mean(np.sum(ours * np.concatenate(bare), axis=1)))
    return {"sentences": len(texts), "claimflow_s": round(ours_s, 2), "claimflow_per_s": round(len(texts) / ours_s, 1),
            "bare_s": round(bare_s, 2), "bare_per_s": round(len(texts) / bare_s, 1),
            "ratio": round(bare_s / ours_s, 2), "mean_cosine_between_them": round(agree, 5), "peak_mb": round(peak_mb())}


def base_set(n_base: int) -> tuple[list[str], np.ndarray]:
    """Real sentences and their embeddings (cached)."""
    OUT.mkdir(parents=True, exist_ok=True)
    cache = OUT / f"match_base_{n_base}.npz"
    if cache.exists():
        data = np.load(cache, allow_pickle=False)
        return [str(t) for t in data["texts"]], data["vectors"]
    from claims.encoder import load_encoder

    texts = sentences(n_base)
    vectors = load_encoder().encode(texts)
    np.savez(cache, texts=np.array(texts), vectors=vectors)
    return texts, vectors


def bench_matching(n: int, n_base: int, k: int, hnsw_from: int) -> dict:
    from claims import match as m

    texts, vectors = base_set(n_base)
    rng = np.random.default_rng(n)
    source = np.arange(n) % len(texts)
    noise = rng.normal(scale=0.018, size=(n, vectors.shape[1])).astype(np.float32)
    noise[: len(texts)] = 0  # the first copy is the real sentence
    v = vectors[source] + noise
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    articles = [f"article-{i // PER_ARTICLE}" for i in range(n)]
    titles = v[(np.arange(n) // PER_ARTICLE) * PER_ARTICLE]  # an article's title: its first claim
    ids = [f"{i:012d}" for i in range(n)]
    timings: dict[str, float] = {}

    started = time.perf_counter()
    claims = m.claim_set(ids, articles, [texts[s] for s in source], v, titles, [[] for _ in range(n)],
                         [frozenset() for _ in range(n)])
    timings["profiles"] = time.perf_counter() - started
    matcher = m.load_matcher()
    # The same steps as claims.match.match, timed one by one.
    t = time.perf_counter()
    index = m.build_index(claims.vectors, hnsw_from=hnsw_from)
    timings["index"] = time.perf_counter() - t
    t = time.perf_counter()
    found = m.neighbours(index, claims, np.arange(n), k=k)
    timings["neighbours"] = time.perf_counter() - t
    recall = None
    if isinstance(index, __import__("faiss").IndexHNSWFlat):  # the approximate index against the exact one, on 1,000 queries
        sample = np.sort(rng.choice(n, size=min(1000, n), replace=False))
        exact = m.neighbours(m.build_index(claims.vectors, hnsw_from=n + 1), claims, sample, k=k)
        approx = m.neighbours(index, claims, sample, k=k)
        truth = set(zip(exact.i.tolist(), exact.j.tolist()))
        recall = round(len(truth & set(zip(approx.i.tolist(), approx.j.tolist()))) / len(truth), 4)
    t = time.perf_counter()
    kept = []  # the flow writes each chunk of rows as it is scored; here they are counted and dropped
    m.match(claims, np.arange(n), matcher, k=k, hnsw_from=hnsw_from, sink=lambda rows: kept.append(len(rows)))
    rows = [None] * sum(kept)
    timings["match_total"] = time.perf_counter() - t
    timings["features_scores_reasons_rows"] = timings["match_total"] - timings["index"] - timings["neighbours"]
    return {
        "claims": n, "index": type(index).__name__, "candidates": int(len(found.i)), "pairs_kept": len(rows),
        "pairs_per_claim": round(2 * len(rows) / n, 2), "hnsw_recall_of_exact_pairs": recall, "seconds": {k_: round(s, 2) for k_, s in timings.items()},
        "match_seconds": round(timings["match_total"] + timings["profiles"], 2), "peak_mb": round(peak_mb()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000, 200_000])
    parser.add_argument("--encode", type=int, default=2000, help="sentences for the encoding benchmark")
    parser.add_argument("--base", type=int, default=20000, help="real sentences the matching claims are made from")
    parser.add_argument("--k", type=int, default=10)
    parser.add_argument("--hnsw-from", type=int, default=100_000)
    parser.add_argument("--skip-encoding", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    args = parser.parse_args()
    if args.one:
        print(json.dumps(bench_matching(args.one, args.base, args.k, args.hnsw_from)))
        return
    if not args.skip_encoding:
        print("encoding:", json.dumps(bench_encoding(args.encode)), flush=True)
    base_set(args.base)
    for n in args.sizes:
        result = subprocess.run([sys.executable, __file__, "--one", str(n), "--base", str(args.base), "--k", str(args.k),
                                 "--hnsw-from", str(args.hnsw_from)], capture_output=True, text=True, check=True)
        print(f"matching {n}:", result.stdout.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
