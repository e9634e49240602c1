"""Label Studio benchmark: push 10,000 claims, re-push with nothing to do, land 10,000 annotations.

    .venv/bin/python bench/bench_labelstudio.py --claims 10000 --annotations 10000

Starts its own Label Studio (claimflow's LocalServer, from .venv-labelstudio, on a free port,
with a temporary data folder) and a temporary Prefect server, and prints:

- push: tasks per second through the push flow, and the ratio of its speed to one plain SDK
  import of the same payloads into a project set up as claimflow sets up its own (same options
  and overlap), the mean of one such import before the push and one after it (1.0 = no
  overhead);
- the time of a second push that has nothing to create;
- land: annotations per second through the land flow (pull, raw append, flatten, upsert).
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


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def seed_claims(db: Path, n: int) -> int:
    """Ingest the sample articles, then copy them under new ids until there are n claims to push."""
    from datetime import datetime

    from claims.extract import extract
    from claims.pipeline import load_pipeline
    from claims.records import articles_table, claims_table
    from claims.sources import expand_paths, read_articles
    from warehouse import load
    from warehouse.db import connection

    files, _ = expand_paths([ROOT / "examples" / "articles"])
    articles = list(read_articles(files, 2_000_000))
    extractions = list(extract(load_pipeline(), articles))
    now = datetime.now()
    with connection(db) as con:
        load.upsert_articles(con, articles_table(articles, run_id="bench", at=now))
        load.upsert_claims(con, claims_table([c for e in extractions for c in e.claims], run_id="bench", at=now))
        per_copy = con.execute("SELECT count(*) FROM claims").fetchone()[0]
        copies = -(-n // per_copy)
        con.execute(
            "INSERT INTO articles SELECT a.* REPLACE (a.article_id || '-' || i AS article_id) FROM articles a, range(1, ?) t(i)",
            [copies],
        )
        con.execute(
            "INSERT INTO claims SELECT c.* REPLACE (c.claim_id || '-' || i AS claim_id, c.article_id || '-' || i AS article_id)"
            " FROM claims c, range(1, ?) t(i)",
            [copies],
        )
        # exactly n claims at or above any threshold, the rest below it
        con.execute("UPDATE claims SET score = CASE WHEN claim_id IN (SELECT claim_id FROM claims ORDER BY claim_id LIMIT ?) THEN 0.99 ELSE 0.01 END", [n])
        return con.execute("SELECT count(*) FROM claims WHERE score >= 0.5").fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--claims", type=int, default=10_000)
    parser.add_argument("--annotations", type=int, default=10_000)
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="claimflow-bench-ls-"))
    os.environ.update(
        PREFECT_HOME=str(tmp / "prefect"),
        CLAIMFLOW_DB=str(tmp / "bench.duckdb"),
        CLAIMFLOW_LS_DATA_DIR=str(tmp / "labelstudio"),
        CLAIMFLOW_LS_PORT=str(free_port()),
        CLAIMFLOW_LS_PROJECT="bench push",
    )
    from tests.helpers import ScriptedClient
    from annotation.results import annotation_result
    from annotation.tasks import claim_task
    from flows.labelstudio import local_server
    from flows.settings import get_settings
    from prefect.testing.utilities import prefect_test_harness
    from warehouse import annotations as store
    from warehouse.db import connection

    settings = get_settings()
    server = local_server(settings)
    t = time.perf_counter()
    server.start(timeout=400)
    print(f"Label Studio started in {time.perf_counter() - t:.0f} s at {server.url}")
    client = ScriptedClient(server.url, server.credentials().token, timeout=600)
    try:
        pushable = seed_claims(settings.db, args.claims)
        print(f"claims to push: {pushable}")
        with prefect_test_harness(server_startup_timeout=120):
            from flows.labelstudio import Target
            from flows.land import land_flow
            from flows.push import open_project, push_flow
            from pydantic import SecretStr

            # The same payloads, each time one plain SDK import into a project set up as claimflow
            # sets up its own (same options and overlap), once before the push flow and once after
            # it: Label Studio's own import time drifts as its database grows and varies from run
            # to run, and the mean of the two cancels the drift.
            from annotation.config import config_text

            with connection(settings.db) as con:
                rows = store.claims_to_push(con, server.url, -1, settings.push_threshold)
            payloads = [claim_task(r, threshold=settings.push_threshold) for r in rows]
            target = Target(server.url, SecretStr(server.credentials().token), local=True)

            def plain_import(title: str) -> float:
                project = open_project.fn(target, title, settings.overlap)
                t = time.perf_counter()
                client.sdk.projects.import_tasks(id=project, request=payloads, return_task_ids=True,
                                                 request_options={"max_retries": 0, "timeout_in_seconds": 600})
                return time.perf_counter() - t

            before = plain_import("bench plain import before")
            t = time.perf_counter()
            report = push_flow()
            ours = time.perf_counter() - t
            assert report.created == pushable, report.counts()
            t = time.perf_counter()
            again = push_flow()
            noop = time.perf_counter() - t
            assert again.created == 0
            after = plain_import("bench plain import after")
            plain = (before + after) / 2
            print(f"push flow:          {ours:6.1f} s  {pushable / ours:7.0f} tasks/s  ({report.batches} imports of {settings.push_batch_size})")
            print(f"plain SDK import:   {plain:6.1f} s  {pushable / plain:7.0f} tasks/s  (one call; {before:.1f} s before the push, {after:.1f} s after)")
            print(f"ratio push/plain speed: {plain / ours:.2f}  (target >= 0.9)")
            print(f"no-op re-push:      {noop:6.1f} s  (target < 5 s)")

            # Land: tasks with annotations by several annotators, imported in bulk into a second
            # project (one API call per annotation would take minutes), then one land of them all.
            from flows.settings import get_settings as fresh_settings

            users = [client.ensure_user(f"annotator{i}@bench.example") for i in range(3)]
            verdicts = ["supported", "refuted", "misleading", "not_enough_info", "not_checkable"]
            per_task = 2
            land_project = client.create_project("bench land", config_text())
            made = 0
            t = time.perf_counter()
            for start in range(0, len(payloads), 2000):
                chunk = []
                for i, payload in enumerate(payloads[start : start + 2000], start):
                    anns = []
                    for k in range(per_task):
                        if made >= args.annotations:
                            break
                        anns.append({"result": annotation_result(verdict=verdicts[(i + k) % 5], confidence=3, rationale="bench",
                                                                 evidence=["https://example.org/e"]),
                                     "completed_by": users[(i + k) % len(users)], "lead_time": 5.0})
                        made += 1
                    if anns:
                        chunk.append({**payload, "annotations": anns})
                if chunk:
                    client.sdk.projects.import_tasks(id=land_project, request=chunk, request_options={"max_retries": 0, "timeout_in_seconds": 600})
            print(f"imported {made} annotations on {len(payloads)} tasks in {time.perf_counter() - t:.0f} s")
            # Map the bench project's tasks as a push would have (the gate refuses labels of tasks
            # claimflow did not push).
            with connection(settings.db) as con:
                store.record_tasks(con, server.url, land_project, client.task_claim_ids(land_project).items(), "bench")
            os.environ["CLAIMFLOW_LS_PROJECT"] = "bench land"
            assert fresh_settings().ls_project == "bench land"
            t = time.perf_counter()
            landed = land_flow(resolve=False)
            took = time.perf_counter() - t
            from flows.resolve import resolve_flow

            t = time.perf_counter()
            resolved = resolve_flow(mark=False)
            print(f"resolve (verdicts, agreement) after it: {time.perf_counter() - t:.1f} s, {resolved.counts()}")
            assert landed.labels_new == made, landed.counts()
            print(f"land flow:          {took:6.1f} s  {made / took:7.0f} annotations/s end to end  (target >= 1,000/s)")
            t = time.perf_counter()
            pulled = sum(len(task.get("annotations") or []) for task in client.changed_tasks(land_project, None)[0])
            raw_pull = time.perf_counter() - t
            print(f"Label Studio alone: {raw_pull:6.1f} s  {pulled / raw_pull:7.0f} annotations/s  (the same tasks listed with"
                  f" their annotations, no processing: {raw_pull / took:.0%} of the land flow)")
            t = time.perf_counter()
            again = land_flow(resolve=False)
            print(f"no-op re-land:      {time.perf_counter() - t:6.1f} s  ({again.annotations_pulled} pulled)")
    finally:
        client.close()
        server.stop()
    import resource

    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (this process)")


if __name__ == "__main__":
    main()
