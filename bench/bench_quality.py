"""Quality-gate benchmark: validate and land 100,000 label rows.

    .venv/bin/python bench/bench_quality.py --rows 100000 [--repeat 3] [--in-process]

Builds a warehouse with one claim and one claimflow task per pair of rows, then lands Label
Studio-shaped tasks (two annotators each; 1 % of the annotations broken in one of five ways)
through the land task: flatten, the labels suite in Great Expectations, the referential checks
in DuckDB, then the upsert and the quarantine. No Label Studio is involved: this measures
claimflow's side of a land. As the land flow does for a pull of this size (at least
CLAIMFLOW_VALIDATION_PROCESS_MIN_TASKS tasks), it starts the validation process first
(``--in-process``: without it, Great Expectations runs in this process). Prints:

- end to end rows per second (flatten + validate + land), the time Great Expectations took
  (its validate call; in the validation process it overlaps the raw append) and the
  referential SQL's;
- the same rows landed without the gate, for the gate's cost;
- each of ``--repeat`` runs (timings on this 2-core machine drift by 10-20 % between runs),
  and the median run;
- the one-off import time of Great Expectations, and peak memory.
"""

from __future__ import annotations

import argparse
import gc
import random
import resource
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

URL = "http://127.0.0.1:9"
PROJECT = 1


def seed(db: Path, claims: int) -> None:
    from warehouse.db import connection

    with connection(db) as con:
        con.execute("INSERT INTO articles (article_id, text, n_chars, n_words, ingested_at) VALUES ('a', 'x', 1, 1, now())")
        con.execute(
            "INSERT INTO claims (claim_id, article_id, seq, start_char, end_char, text, block_kind, score, claim_type,"
            " context_start, context_end, scorer, model, extracted_at)"
            " SELECT 'c' || i, 'a', i, 0, 1, 'x', 'paragraph', 0.9, 'statement', 0, 1, 'bench', 'bench', now() FROM range(?) t(i)",
            [claims],
        )
        con.execute(
            "INSERT INTO tasks (ls_url, project_id, claim_id, task_id, pushed_at)"
            " SELECT ?, ?, 'c' || i, i + 1, now() FROM range(?) t(i)",
            [URL, PROJECT, claims],
        )


def payloads(rows: int, bad_share: float, seed_: int = 0) -> list[dict]:
    from annotation.results import annotation_result

    rng = random.Random(seed_)
    verdicts = ["supported", "refuted", "misleading", "not_enough_info", "not_checkable"]
    tasks, aid = [], 0
    for i in range(rows // 2):
        annotations = []
        for user in (1, 2):
            aid += 1
            kw = {"verdict": rng.choice(verdicts), "confidence": rng.randint(1, 5), "evidence": ["https://example.org/a"]}
            if rng.random() < bad_share:
                kind = rng.randrange(5)
                kw |= [{"verdict": "probably"}, {"verdict": None}, {"confidence": 9}, {"evidence": ["not a url"]}, {}][kind]
            ann = {"id": aid, "completed_by": user, "result": annotation_result(**kw), "lead_time": 9.5,
                   "created_at": "2026-11-20T09:00:00Z", "updated_at": "2026-11-20T09:05:00Z", "was_cancelled": False}
            if rng.random() < bad_share / 5:
                ann = {"id": aid, "result": "not a list"}
            annotations.append(ann)
        tasks.append({"id": i + 1, "updated_at": "2026-11-20T09:05:00Z", "data": {"claim_id": f"c{i}"}, "annotations": annotations})
    return tasks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--bad-share", type=float, default=0.01)
    parser.add_argument("--repeat", type=int, default=3, help="lands of the whole batch, each into a new warehouse")
    args = parser.parse_args()

    started = time.perf_counter()
    import great_expectations  # noqa: F401  (the one-off import, timed on its own)

    gx_import = time.perf_counter() - started
    import expectations.labels as gate_module
    from flows.land import land_annotations

    tasks = payloads(args.rows, args.bad_share)
    timings = {"referential": 0.0}
    real_validate, real_referential = gate_module.validate, gate_module.referential_failures

    def timed_referential(*a, **kw):
        t = time.perf_counter()
        try:
            return real_referential(*a, **kw)
        finally:
            timings["referential"] += time.perf_counter() - t

    def passing(suite, frame, **kw):
        return gate_module.Validation(suite=suite)

    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        # Warm-up on a small warehouse: Great Expectations builds its context and metrics once.
        warm = Path(tmp) / "warm.duckdb"
        seed(warm, 100)
        land_annotations.fn(URL, str(warm), PROJECT, payloads(200, args.bad_share, 1), {1: "a", 2: "b"}, datetime(2026, 11, 20, 10), "warm")
        for run in range(args.repeat):
            gate_module.validate, gate_module.referential_failures = real_validate, timed_referential
            timings["referential"] = 0.0
            db = Path(tmp) / f"bench-{run}.duckdb"
            seed(db, args.rows // 2)
            gc.collect()  # the collector's debt from building the payloads is not the land's
            t = time.perf_counter()
            counts = land_annotations.fn(URL, str(db), PROJECT, tasks, {1: "a", 2: "b"}, datetime(2026, 11, 20, 10), "bench")
            gated = time.perf_counter() - t

            # The same land with a gate that passes everything: what the gate costs.
            gate_module.validate, gate_module.referential_failures = passing, lambda *a, **kw: []
            plain_db = Path(tmp) / f"plain-{run}.duckdb"
            seed(plain_db, args.rows // 2)
            gc.collect()
            t = time.perf_counter()
            land_annotations.fn(URL, str(plain_db), PROJECT, tasks, {1: "a", 2: "b"}, datetime(2026, 11, 20, 10), "plain")
            runs.append({"gated": gated, "ungated": time.perf_counter() - t, "ge": counts["validation_seconds"], **timings})

    rows = counts["validated"]
    print(f"label rows validated and landed: {rows:,} ({counts['labels_new']:,} landed, {counts['quarantined']:,} quarantined)")
    for i, r in enumerate(runs, 1):
        print(f"run {i}: end to end {r['gated']:.2f} s = {rows / r['gated']:,.0f} rows/s; Great Expectations validate"
              f" {r['ge']:.2f} s ({r['ge'] / r['gated']:.0%}), referential SQL {r['referential']:.2f} s"
              f" ({r['referential'] / r['gated']:.0%}); without the gate {r['ungated']:.2f} s = {rows / r['ungated']:,.0f} rows/s")
    middle = sorted(runs, key=lambda r: r["gated"])[len(runs) // 2]
    print(f"median run: end to end {middle['gated']:.2f} s = {rows / middle['gated']:,.0f} rows/s"
          f" (the gate adds {middle['gated'] - middle['ungated']:.2f} s)")
    print(f"failed expectations: {counts['failed_expectations']}")
    print(f"one-off `import great_expectations`: {gx_import:.1f} s (not in the figures above)")
    print(f"peak memory of this process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
