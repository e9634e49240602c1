"""The benches' own measuring parts: a process's peak memory is its own, phase timers keep the
signatures Prefect binds by, and the extraction baseline counts what plain spaCy counts."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


def bench_module(name: str):
    # Importable by name, so that spawned workers can import it again (they get this sys.path).
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    return importlib.import_module(name)


def test_each_process_reports_its_own_peak_not_an_earlier_childs():
    # From a small launcher, as the bench runs it: a forked child's peak counts the launcher's
    # memory at the fork, and this test process is large.
    script = f"""
import sys, json
sys.path.insert(0, {str(BENCH)!r})
import bench_match
_, big, _ = bench_match.run_alone([sys.executable, "-c", "x = bytearray(500 * 1024 * 1024); x[::4096] = b'1' * len(x[::4096])"])
_, small, printed = bench_match.run_alone([sys.executable, "-c", "print('ok')"])
print(json.dumps([big, small, printed]))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    big, small, printed = json.loads(done.stdout.splitlines()[-1])
    assert big > 500
    assert small < 250  # RUSAGE_CHILDREN, the launcher's largest child so far, would say over 500 here
    assert printed.strip() == "ok"


def test_a_failing_process_stops_the_bench():
    bench_match = bench_module("bench_match")
    with pytest.raises(SystemExit):
        bench_match.run_alone([sys.executable, "-c", "raise SystemExit(3)"])


def test_the_match_bench_finds_every_function_it_times():
    # The timed match wraps functions of claims/, flows/ and warehouse/ by name: a rename there
    # must fail here, not in the middle of a bench run. In an interpreter of its own, so that the
    # wrappers do not stay on the classes of this test process.
    script = f"""
import sys
sys.path.insert(0, {str(BENCH)!r})
import duckdb
import bench_match
import warehouse.db
timers = bench_match.Timers()
bench_match.wrap_phases(timers)
with warehouse.db.transaction(duckdb.connect()):
    pass
print(sorted(timers.calls))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=BENCH.parent, env={**os.environ, "PYTHONPATH": str(BENCH.parent)})
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "['DuckDB writes: commits']"


def test_timers_add_up_calls_and_keep_the_signature():
    bench_match = bench_module("bench_match")

    class Owner:
        @staticmethod
        def work(db: str, settings: dict, run_id: str) -> str:
            return db + run_id

    timers = bench_match.Timers()
    timers.wrap(Owner, "work", "work")
    assert Owner.work("a", {}, "b") == "ab"
    assert Owner.work("c", {}, "d") == "cd"
    assert timers.calls == {"work": 2}
    assert timers.seconds["work"] >= 0
    assert list(inspect.signature(Owner.work).parameters) == ["db", "settings", "run_id"]


def test_the_baseline_counts_the_sentences_plain_spacy_finds(tmp_path):
    import spacy

    bench_ingest = bench_module("bench_ingest")
    texts = ["One sentence here. Another one there.", "A third text. With two.", "Alone."] * 3
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.to_disk(tmp_path / "pipeline")  # loaded again in each worker, as a model is
    expected = sum(len(list(doc.sents)) for doc in nlp.pipe(texts))
    seconds, sentences = bench_ingest.plain_split(str(tmp_path / "pipeline"), texts, 2, 64)
    assert sentences == expected == 15
    assert seconds > 0


def test_the_ducklake_bench_lands_every_task_it_builds_into_a_duckdb_file(tmp_path):
    bench_ducklake = bench_module("bench_ducklake")
    extracted = bench_ducklake.extractions(2)
    times = bench_ducklake.store(str(tmp_path / "w.duckdb"), None, extracted, 5, 100, "run")  # asserts every label lands
    assert times["tasks"] == 5 and times["ingest_store"] > 0 and times["land_store"] > 0
    tasks = bench_ducklake.annotated_tasks(["c1", "c2"], 7)
    assert [t["id"] for t in tasks] == [7, 8] and [t["data"]["claim_id"] for t in tasks] == ["c1", "c2"]
