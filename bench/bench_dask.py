"""The ingest's extraction on a Dask cluster against the default process pool, on the same cores:
the overhead of going distributed.

    CLAIMFLOW_PREFECT_PORT=4370 CLAIMFLOW_PREFECT_DATA_DIR=/tmp/bench-prefect \
        .venv/bin/python bench/bench_dask.py --articles 150 --chunks 50 10
    CLAIMFLOW_PREFECT_PORT=4370 CLAIMFLOW_PREFECT_DATA_DIR=/tmp/bench-prefect .venv/bin/claimflow prefect stop

(the Prefect server of the tasks' runs: the local one on that port, started if it does not run.)

N varied articles (bench_ingest.varied_articles), then

1. the default: the extraction step on this machine's process pool (`extract_parallel` over
   ``--processes`` spawned processes, as an ingest of 200 articles or more runs it; the pool's
   start and each process's load of the spaCy pipeline and the scorer included, as every ingest
   pays them);
2. the same articles on a Dask cluster started apart (a `dask scheduler` and ``--processes``
   `dask worker --nthreads 1` processes on loopback, tests/dask_cluster.py), sent as claimflow
   sends them (`flows.ingest.extract_on_dask`: prefect-dask's DaskTaskRunner at CLAIMFLOW_DASK_ADDRESS,
   one Prefect task per CLAIMFLOW_DASK_CHUNK_ARTICLES articles), once on fresh workers (each loads its models on
   its first task) and once more on the same workers (models loaded: what a long-lived cluster
   gives every ingest after the first); for each chunk size in ``--chunks``, each on a new cluster.

Prints seconds, sentences per second, and the ratio of each Dask run's speed to the pool's
(1.0: no overhead), and checks that both give the same claims. Figures go in bench/README.md by
hand, with the machine's load (printed at the start and the end).
"""

from __future__ import annotations

import argparse
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_ingest import varied_articles  # noqa: E402  (this folder, on the path of a script run from it)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def claim_keys(extractions) -> list[tuple]:
    return sorted((c.claim_id, c.score, c.claim_type) for e in extractions for c in e.claims)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=150)
    parser.add_argument("--processes", type=int, default=2, help="pool processes, and Dask workers (one thread each)")
    parser.add_argument("--chunks", type=int, nargs="+", default=[50], help="articles per Dask task (CLAIMFLOW_DASK_CHUNK_ARTICLES)")
    parser.add_argument("--port", type=int, default=0, help="the scheduler's port (default: a free one)")
    args = parser.parse_args()

    from flows.prefect_local import use_prefect
    from flows.settings import Settings

    settings = Settings()
    print(f"Prefect API: {use_prefect(settings)}")  # the local server (CLAIMFLOW_PREFECT_PORT), started if need be

    from claims.extract import extract_parallel
    from claims.sources import make_article
    from flows.ingest import extract_on_dask
    from tests.dask_cluster import DaskProcesses

    print(f"load average at the start: {load()} ({os.cpu_count()} cores)")
    rows = varied_articles(args.articles)
    articles = [make_article(r["text"], path="bench", fmt="jsonl", title=r["title"], source=r["source"]) for r in rows]
    words = sum(len(a.text.split()) for a in articles)
    print(f"articles: {len(articles)}  words: {words}  model: {settings.spacy_model}  scorer: {settings.scorer}  "
          f"processes / workers: {args.processes}")

    t = time.perf_counter()
    pooled = list(extract_parallel(settings.spacy_model, articles, processes=args.processes, batch_size=settings.batch_size,
                                   context_sentences=settings.context_sentences, min_words=settings.min_claim_words,
                                   scorer=settings.scorer))
    pool_seconds = time.perf_counter() - t
    sentences = sum(e.sentences for e in pooled)
    pool_rate = sentences / pool_seconds
    print(f"process pool ({args.processes} processes, start and model loads included): {pool_seconds:6.1f} s  "
          f"{pool_rate:5.0f} sentences/s  ({sentences} sentences, {sum(len(e.claims) for e in pooled)} claims)")

    for chunk in args.chunks:
        with tempfile.TemporaryDirectory() as logs:
            t = time.perf_counter()
            with DaskProcesses(args.port or free_port(), Path(logs), workers=args.processes) as cluster:
                started = time.perf_counter() - t
                on_cluster = settings.model_copy(update={"task_runner": "dask", "dask_address": cluster.address,
                                                         "dask_chunk_articles": chunk})
                for run in ("fresh workers", "same workers again"):
                    t = time.perf_counter()
                    extractions = extract_on_dask(articles, on_cluster)
                    seconds = time.perf_counter() - t
                    assert claim_keys(extractions) == claim_keys(pooled), "the cluster's claims differ from the pool's"
                    rate = sum(e.sentences for e in extractions) / seconds
                    print(f"dask, {chunk} articles a task, {run}: {seconds:6.1f} s  {rate:5.0f} sentences/s  "
                          f"ratio to the pool {rate / pool_rate:.2f}  (cluster started in {started:.1f} s, not counted)")
    print(f"load average at the end: {load()}")


if __name__ == "__main__":
    main()
