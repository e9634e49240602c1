"""The warehouse on DuckLake (PostgreSQL catalog, Parquet files in a folder) against a DuckDB file:
the ingest's and the land's warehouse work, and two writers at once against one after the other.

    .venv/bin/python bench/bench_ducklake.py --articles 100 --tasks 1000
    .venv/bin/python bench/bench_ducklake.py --db 'ducklake:postgres:dbname=D host=127.0.0.1 port=P user=U password=W'

Without ``--db`` the bench starts a private PostgreSQL (the machine's initdb and pg_ctl, on a free
loopback port, as the postgres user when run as root) and stops it at the end; ``--db`` names an
empty PostgreSQL database instead. The catalog's data files go to a temporary folder. What is timed is what each step does in the warehouse, with the same inputs on
both: the ingest's store (articles and claims of ``--articles`` articles, extracted once beforehand
with a sentencizer: extraction itself does not touch the warehouse) and the land's (``--tasks``
annotated Label Studio tasks, one annotation each, built from tests/fixtures: appended raw, gated
by the expectation suites, upserted). A first connection (attaching the catalog, migrations) is
made before the clocks start, as a running claimflow process has it.

Two writers: two processes, each storing its own half of the articles and landing its own half of
the tasks on the catalog, started at once, against the same two run one after the other (wall
time; below 1.0 the two overlap). A DuckDB file cannot be written by two processes at once, so this
is measured on DuckLake only. Prints JSON; figures go in bench/README.md by hand.
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))


def extractions(n: int, offset: int = 0) -> list:
    """The claims of ``n`` varied articles (bench_ingest's), split by a sentencizer."""
    from bench_ingest import varied_articles

    from claims.extract import extract
    from claims.pipeline import load_pipeline
    from claims.sources import make_article

    rows = varied_articles(n + offset)[offset:]
    articles = [make_article(r["text"], path=f"bench-{offset + i}.txt", fmt="text", title=r["title"], source=r["source"])
                for i, r in enumerate(rows)]
    return list(extract(load_pipeline("blank:en"), articles))


def annotated_tasks(claim_ids: list[str], first_id: int) -> list[dict]:
    """A Label Studio task per claim, as the export gives them, one submitted annotation each."""
    template = json.loads((ROOT / "tests" / "fixtures" / "ls_task_with_annotation.json").read_text())
    tasks = []
    for i, claim_id in enumerate(claim_ids):
        task = copy.deepcopy(template)
        task["id"] = first_id + i
        task["data"]["claim_id"] = claim_id
        annotation = task["annotations"][0]
        annotation.update(id=first_id + i, task=first_id + i, updated_by=annotation["completed_by"])
        tasks.append(task)
    return tasks


def store(db: str, data_path: str | None, extracted: list, n_tasks: int, first_task: int, run: str) -> dict:
    """The ingest's and the land's warehouse work on ``db`` (the land's of ``n_tasks`` tasks of
    the first claims, mapped to tasks first, untimed, as a push leaves them); seconds of each."""
    from flows.ingest import store_articles
    from flows.land import land_annotations
    from flows.settings import get_settings
    import pyarrow as pa

    from warehouse.db import connection, registered, writing

    get_settings(db=db, ducklake_data_path=data_path)
    with connection(db):  # attach and migrate before the clock, as a running process has done
        pass
    started = time.perf_counter()
    store_articles.fn(db, run, extracted, [])
    ingest = time.perf_counter() - started
    claim_ids = [c.claim_id for e in extracted for c in e.claims][:n_tasks]
    tasks = annotated_tasks(claim_ids, first_task)
    mapping = pa.table({"claim_id": [t["data"]["claim_id"] for t in tasks], "task_id": [t["id"] for t in tasks]})

    def map_tasks(con) -> None:
        with registered(con, mapping=mapping):
            con.execute("INSERT INTO tasks (ls_url, project_id, claim_id, task_id, pushed_at)"
                        " SELECT 'http://bench', 1, claim_id, task_id, now() FROM mapping")

    writing(db, map_tasks, "mapping the tasks")
    started = time.perf_counter()
    counts = land_annotations.fn("http://bench", db, 1, tasks, {3: "ann2@example.com"}, None, run)
    land = time.perf_counter() - started
    assert counts["labels_new"] == len(tasks), counts
    return {"ingest_store": ingest, "land_store": land, "tasks": len(tasks)}


def warm_up() -> None:
    """The imports and first-call costs (Great Expectations above all) paid on a throwaway file,
    so that the clocks see the warehouse's work only."""
    with tempfile.TemporaryDirectory() as folder:
        store(str(Path(folder) / "warm.duckdb"), None, extractions(2, 10_000), 5, 1, "warm")


def _worker(args) -> tuple[float, float, int]:
    """One writer: warmed up, then its store timed; (start, end) on the wall clock, and the
    writes it ran again after a conflict."""
    db, data_path, n_articles, offset, n_tasks, first_task, run = args
    extracted = extractions(n_articles, offset)
    warm_up()
    from warehouse.lake import conflicts_retried

    before = conflicts_retried()
    started = time.time()
    store(db, data_path, extracted, n_tasks, first_task, run)
    return started, time.time(), conflicts_retried() - before


def two_writers(db: str, data_path: str, articles: int, tasks: int, at_once: bool) -> tuple[float, int]:
    """Wall time of two processes each storing half the articles and landing half the tasks:
    from the first one's start to the last one's end at once, the sum of the two one after the
    other (each process's start-up, extraction and warm-up are not timed); and the writes run
    again after a conflict."""
    base = 1_000_000 if at_once else 2_000_000  # the two runs write articles and tasks of their own
    jobs = [(db, data_path, articles // 2, base // 1000 + k * articles // 2, tasks // 2, base + k * tasks, f"w{k}-{at_once}")
            for k in (0, 1)]
    ctx = multiprocessing.get_context("spawn")
    if at_once:
        with ctx.Pool(2) as pool:
            spans = pool.map(_worker, jobs)
        return max(end for _, end, _ in spans) - min(start for start, _, _ in spans), sum(n for _, _, n in spans)
    spans = []
    for job in jobs:
        with ctx.Pool(1) as pool:
            spans += pool.map(_worker, [job])
    return sum(end - start for start, end, _ in spans), sum(n for _, _, n in spans)


@contextmanager
def private_postgres() -> Iterator[str]:
    """A PostgreSQL cluster of the bench's own (claimflow's LocalPostgres on a free loopback port)
    with an empty database: the DuckLake CLAIMFLOW_DB string."""
    import shutil
    import socket

    from flows.postgres_local import LocalPostgres

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    folder = Path(tempfile.mkdtemp(prefix="bench-pg-"))
    server = LocalPostgres(data_dir=folder, port=port)
    server.start(timeout=120)
    try:
        server.create_databases("lake")
        yield "ducklake:postgres:" + server.login("lake").conninfo(with_password=True)
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="ducklake:postgres:... naming an empty PostgreSQL database (default: a private PostgreSQL)")
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=2000)
    args = parser.parse_args()
    with nullcontext(args.db) if args.db else private_postgres() as db:
        measure(db, args.articles, args.tasks)


def measure(db: str, articles: int, tasks: int) -> None:
    """Run the measures on the empty catalog ``db`` and print them."""
    from warehouse.masking import mask

    folder = Path(tempfile.mkdtemp(prefix="bench-ducklake-"))
    extracted = extractions(articles)
    warm_up()
    claims = sum(len(e.claims) for e in extracted)
    file_times = store(str(folder / "bench.duckdb"), None, extracted, tasks, 1, "file")
    lake_times = store(db, str(folder / "lake"), extracted, tasks, 1, "lake")
    # The two-writer runs write new articles and tasks of their own (offsets past the first ones).
    sequential, _ = two_writers(db, str(folder / "lake"), articles, tasks, at_once=False)
    at_once, retried = two_writers(db, str(folder / "lake"), articles, tasks, at_once=True)
    print(json.dumps({
        "catalog": mask(db), "articles": articles, "claims": claims, "tasks": tasks,
        "tasks_landed": lake_times.pop("tasks"), "file_seconds": {k: round(v, 3) for k, v in file_times.items() if k != "tasks"},
        "ducklake_seconds": {k: round(v, 3) for k, v in lake_times.items()},
        "speed_ratio_ducklake_to_file": {k: round(file_times[k] / lake_times[k], 3) for k in lake_times},
        "two_writers_sequential_seconds": round(sequential, 2), "two_writers_at_once_seconds": round(at_once, 2),
        "wall_time_ratio_at_once_to_sequential": round(at_once / sequential, 3), "writes_retried_at_once": retried,
    }, indent=2))


if __name__ == "__main__":
    main()
