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
   own: wall seconds (embedding included), that process's own peak memory (os.wait4's rusage of
   that one child, so sizes never share a peak), article pairs related, claim pairs the NLI model
   read and per claim.
3. The phases, timed directly: a second fresh copy is matched by the same command run inside a
   process of its own (`--timed DB`) that wraps timers around the functions the flow calls
   (Encoder.encode, PairModel.probabilities, claims.match.match, the warehouse's reads and
   writes of flows/match.py, the commit of its transactions), so each phase's seconds come from
   one run, not from subtracting separately timed runs. The product code is not changed.

Figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
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


def run_alone(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd`` in a process of its own: (wall seconds, that process's peak MB, its stdout).
    The peak is os.wait4's rusage of this one child (its largest waited-for descendant included),
    never the caller's or an earlier child's."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if proc.returncode:
        sys.exit(f"{' '.join(cmd[:4])} failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, stdout


def claimflow(args: list[str], db: Path) -> tuple[float, float, str]:
    return run_alone([sys.executable, "-m", "flows.cli", *args, "--db", str(db)])


class Timers:
    """Seconds and calls per name, accumulated by wrappers around the functions the flow calls."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds
        self.calls[name] = self.calls.get(name, 0) + 1

    def wrap(self, owner, attribute: str, name: str) -> None:
        inner = getattr(owner, attribute)

        @functools.wraps(inner)  # Prefect binds a task's parameters by its function's signature
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                self.add(name, time.perf_counter() - started)

        setattr(owner, attribute, timed)

    def wrap_commit(self, owner, attribute: str, name: str) -> None:
        """Time the end of a transaction's ``with`` block (its COMMIT), not the block."""
        inner = getattr(owner, attribute)
        timers = self

        class Timed:
            def __init__(self, *args, **kwargs):
                self.context = inner(*args, **kwargs)

            def __enter__(self):
                return self.context.__enter__()

            def __exit__(self, *exc):
                started = time.perf_counter()
                try:
                    return self.context.__exit__(*exc)
                finally:
                    timers.add(name, time.perf_counter() - started)

        setattr(owner, attribute, Timed)


def wrap_phases(timers: Timers) -> None:
    """Timers around the functions `claimflow match` calls, in this process (the product code is
    not changed: the wrappers are set on the classes and modules it uses)."""
    import claims.match
    import flows.match
    import warehouse.db
    from claims.encoder import Encoder
    from claims.nli import PairModel
    from warehouse import factchecks, matching

    timers.wrap(Encoder, "encode", "embedding (Encoder.encode)")
    timers.wrap(PairModel, "probabilities", "NLI scoring (PairModel.probabilities)")
    timers.wrap(claims.match, "match", "pairing and scoring (claims.match.match, its writes included)")
    for name in ("claims_to_embed", "articles_to_embed", "unmatched_count", "match_inputs", "match_articles", "stale_pairs"):
        timers.wrap(matching, name, "DuckDB reads")
    for name in ("store_claim_embeddings", "store_article_embeddings", "store_pairs", "store_article_pairs",
                 "forget_matches", "mark_matched"):
        timers.wrap(matching, name, f"DuckDB writes: {name}")
    for name in ("store_fact_checks", "store_fact_check_embeddings", "store_claim_fact_checks", "mark_looked_up"):
        timers.wrap(factchecks, name, "DuckDB writes: fact-check lookup")
    # Every write of the flow is a warehouse.db.writing() block, whose transaction() ends in the COMMIT.
    timers.wrap_commit(warehouse.db, "transaction", "DuckDB writes: commits")
    for task in ("embed", "pair_claims", "look_up_fact_checks"):
        timers.wrap(getattr(flows.match, task), "fn", f"task {task}")


def timed_match(db: str, report: str) -> None:
    """`claimflow match --db DB` in this process, with timers around its phases; the timings are
    written to ``report`` as JSON."""
    timers = Timers()
    wrap_phases(timers)
    from flows.cli import app

    started = time.perf_counter()
    app(["match", "--db", db], standalone_mode=False)
    timers.add("whole command in process (imports before it not included)", time.perf_counter() - started)
    Path(report).write_text(json.dumps({"seconds": {k: round(v, 2) for k, v in timers.seconds.items()}, "calls": timers.calls}))


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
    seconds, peak, printed = claimflow(["match"], db)
    timed_db = OUT / f"match_{n}.timed.duckdb"
    timed_db.unlink(missing_ok=True)
    shutil.copyfile(ingested, timed_db)
    report = OUT / f"match_{n}.phases.json"
    timed_seconds, timed_peak, _ = run_alone([sys.executable, __file__, "--timed", str(timed_db), str(report)])
    phases = json.loads(report.read_text())
    counts = {k.strip(): v.strip() for k, v in re.findall(r"│ ([a-z ]+?)\s+│ ([\d.]+)\s+│", printed)}
    con = duckdb.connect(str(db), read_only=True)
    claims = con.execute("SELECT count(*) FROM claims").fetchone()[0]
    articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    con.close()
    scored = int(counts.get("pairs scored", 0))
    return {"claims": claims, "articles": articles, "match_seconds": round(seconds, 1), "peak_mb": round(peak),
            "article_pairs_related": int(counts.get("article pairs related", 0)), "pairs_scored": scored,
            "pairs_scored_per_claim": round(2 * scored / max(claims, 1), 2), "pairs_kept": int(counts.get("pairs kept", 0)),
            "timed_run": {"wall_seconds": round(timed_seconds, 1), "peak_mb": round(timed_peak), **phases}}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[10_000, 50_000])
    parser.add_argument("--nli-pairs", type=int, default=2000)
    parser.add_argument("--skip-nli", action="store_true")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # a single size, in this process
    parser.add_argument("--timed", nargs=2, help=argparse.SUPPRESS)  # DB REPORT: the match with its phases timed
    args = parser.parse_args()
    if args.timed:
        timed_match(*args.timed)
        return
    if args.one:
        print(json.dumps(bench_matching(args.one)))
        return
    if not args.skip_nli:
        print("nli:", json.dumps(bench_nli(args.nli_pairs)), flush=True)
    for n in args.sizes:
        _, _, printed = run_alone([sys.executable, __file__, "--one", str(n)])
        print(f"matching {n}:", printed.strip().splitlines()[-1], flush=True)


if __name__ == "__main__":
    main()
