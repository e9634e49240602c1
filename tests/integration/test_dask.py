"""The extraction and the match's embedding on a Dask cluster (CLAIMFLOW_TASK_RUNNER=dask,
prefect-dask) give the same claims and pairs as the default task runner: on an in-process
LocalCluster, and on a cluster started apart from claimflow (`dask scheduler`, two `dask worker`
processes) that a worker killed mid-ingest does not make lose an article."""

import os
import subprocess
import time

import pytest

from tests.conftest import ROOT, SAMPLES, copy_warehouse, default_settings, free_port
from tests.dask_cluster import DaskProcesses, count_loads, loads, processing, task_prefixes
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")
COLUMNS = "claim_id, article_id, seq, start_char, end_char, text, block_kind, score, claim_type, entities, context_start, context_end, features, scorer, model"
PAIR_COLUMNS = "pair_id, claim_id_a, claim_id_b, article_id_a, article_id_b, similarity, contradiction, relation, cosine, reasons, features, matcher, encoder"
CLAIMFLOW = str(ROOT / ".venv" / "bin" / "claimflow")


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


@pytest.fixture(scope="module")
def dask_processes(tmp_path_factory):
    """A scheduler and two single-threaded workers, each its own process started from the command
    line, every load on them counted from the start."""
    with DaskProcesses(free_port(), tmp_path_factory.mktemp("dask-logs")) as processes:
        with processes.client() as client:
            client.run(count_loads)
        yield processes


def claims(db) -> list[tuple]:
    with connection(db, read_only=True) as con:
        return con.execute(f"SELECT {COLUMNS} FROM claims ORDER BY claim_id").fetchall()


def pairs(db) -> list[tuple]:
    with connection(db, read_only=True) as con:
        return con.execute(f"SELECT {PAIR_COLUMNS} FROM claim_pairs ORDER BY pair_id").fetchall()


@pytest.mark.slow
def test_the_ingest_on_a_dask_cluster_gives_the_same_claims_as_the_default_runner(cluster, ingested_warehouse, tmp_path, monkeypatch):
    from flows.ingest import ingest_flow

    default_db, default = ingested_warehouse  # the session's ingest of the samples, on the default runner
    monkeypatch.setenv("CLAIMFLOW_TASK_RUNNER", "dask")
    monkeypatch.setenv("CLAIMFLOW_DASK_ADDRESS", cluster.scheduler_address)
    monkeypatch.setenv("CLAIMFLOW_DASK_CHUNK_ARTICLES", "2")  # five articles: three tasks over two workers
    on_dask = ingest_flow(paths=[str(SAMPLES)], db=str(tmp_path / "dask.duckdb"))
    assert on_dask.ok and on_dask.counts() == default.counts()
    assert claims(tmp_path / "dask.duckdb") == claims(default_db)
    ran = {prefix: tp.states for prefix, tp in cluster.scheduler.task_prefixes.items()}
    assert any("extract_chunk" in prefix for prefix in ran), ran  # the workers did the extraction


@pytest.mark.slow
def test_the_ingest_on_worker_processes_started_apart_gives_the_same_claims_each_worker_loading_its_models_once(
    dask_processes, ingested_warehouse, tmp_path, monkeypatch
):
    from flows.ingest import ingest_flow

    default_db, default = ingested_warehouse
    monkeypatch.setenv("CLAIMFLOW_TASK_RUNNER", "dask")
    monkeypatch.setenv("CLAIMFLOW_DASK_ADDRESS", dask_processes.address)
    monkeypatch.setenv("CLAIMFLOW_DASK_CHUNK_ARTICLES", "1")  # five tasks over two workers
    with dask_processes.client() as client:
        before = client.run(loads)
        on_dask = ingest_flow(paths=[str(SAMPLES)], db=str(tmp_path / "dask.duckdb"))
        after = client.run(loads)
        ran = client.run_on_scheduler(task_prefixes)
    assert on_dask.ok and on_dask.counts() == default.counts()
    assert claims(tmp_path / "dask.duckdb") == claims(default_db)
    assert any("extract_chunk" in prefix for prefix in ran), ran
    done = {w: {k: after[w][k] - before[w][k] for k in after[w]} for w in after}
    assert sum(d["extractions"] for d in done.values()) == 5, done  # every task ran on the workers
    for worker, counts in after.items():  # a pipeline and a scorer per worker, not per task
        assert counts["spacy"] <= 1 and counts["scorer"] <= 1, (worker, after)
    assert max(counts["extractions"] for counts in after.values()) >= 2, after  # so some worker reused them


@pytest.mark.slow
def test_the_match_on_worker_processes_started_apart_gives_the_same_pairs_as_the_default_runner(
    dask_processes, ingested_warehouse, matched_warehouse, tmp_path, monkeypatch
):
    from flows.match import match_flow

    db = copy_warehouse(ingested_warehouse[0], tmp_path / "dask.duckdb")
    default_db, default = matched_warehouse
    default_settings(monkeypatch)
    monkeypatch.setenv("CLAIMFLOW_TASK_RUNNER", "dask")
    monkeypatch.setenv("CLAIMFLOW_DASK_ADDRESS", dask_processes.address)
    monkeypatch.setenv("CLAIMFLOW_EMBED_BATCH_SIZE", "64")  # several batches of claims for the two workers
    with dask_processes.client() as client:
        before = client.run(loads)
        on_dask = match_flow(db=str(db))
        after = client.run(loads)
        ran = client.run_on_scheduler(task_prefixes)
    assert on_dask.counts() == default.counts()
    assert on_dask.claims_embedded > 2 * 64
    assert pairs(db) == pairs(default_db)
    assert any("encode_chunk" in prefix for prefix in ran), ran
    assert sum(after[w]["encoder"] - before[w]["encoder"] for w in after) >= 1  # the workers embedded
    assert all(counts["encoder"] <= 1 for counts in after.values()), after  # once per worker


def many_articles(folder, n: int) -> list:
    """``n`` articles made from the samples, each with a line of its own so none dedupe."""
    samples = sorted(SAMPLES.glob("*.txt"))
    folder.mkdir()
    for i in range(n):
        text = samples[i % len(samples)].read_text(encoding="utf-8")
        (folder / f"article-{i:03d}.txt").write_text(f"{text}\n\nThis copy number {i} was filed by the desk on day {i + 1}.\n",
                                                     encoding="utf-8")
    return sorted(folder.glob("*.txt"))


def per_article(db) -> dict[str, int]:
    with connection(db, read_only=True) as con:
        return dict(con.execute("SELECT a.article_id, count(c.claim_id) FROM articles a LEFT JOIN claims c USING (article_id) "
                                "GROUP BY a.article_id").fetchall())


@pytest.mark.slow
def test_a_worker_killed_mid_ingest_loses_no_article(local_prefect, tmp_path, monkeypatch):
    """One of two worker processes is killed (SIGKILL) while the scheduler has an extraction task
    on it and others are done: the scheduler gives its tasks to the other worker, the ingest
    completes, and every article is stored once with the claims the default runner finds."""
    from flows.ingest import ingest_flow

    folder = tmp_path / "articles"
    many_articles(folder, 24)
    default_settings(monkeypatch)
    expected = ingest_flow(paths=[str(folder)], db=str(tmp_path / "default.duckdb"))
    assert expected.ok and expected.articles_new == 24

    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "LABEL_STUDIO_", "PREFECT_API_URL"))}
    with DaskProcesses(free_port(), tmp_path / "dask-logs") as cluster:
        env |= local_prefect | {
            "CLAIMFLOW_DB": str(tmp_path / "dask.duckdb"), "CLAIMFLOW_TASK_RUNNER": "dask",
            "CLAIMFLOW_DASK_ADDRESS": cluster.address, "CLAIMFLOW_DASK_CHUNK_ARTICLES": "1",
        }
        ingest = subprocess.Popen([CLAIMFLOW, "ingest", str(folder)], env=env, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        try:
            with cluster.client() as client:
                while True:  # until worker-0 has an extraction in hand and some are done: mid-way
                    assert ingest.poll() is None, "the ingest ended before the worker could be killed"
                    seen = client.run_on_scheduler(processing)
                    if seen["done"] and any("extract_chunk" in key for key in seen["processing"].get("worker-0", [])):
                        break
                    time.sleep(0.05)
                cluster.kill("worker-0")
                out, err = ingest.communicate(timeout=600)
                left = client.run_on_scheduler(processing)
        finally:
            if ingest.poll() is None:
                ingest.kill()
                ingest.wait()
    assert ingest.returncode == 0, err
    assert list(left["processing"]) == ["worker-1"]  # the scheduler saw worker-0 go
    assert per_article(tmp_path / "dask.duckdb") == per_article(tmp_path / "default.duckdb")
    assert claims(tmp_path / "dask.duckdb") == claims(tmp_path / "default.duckdb")


@pytest.mark.slow
@pytest.mark.parametrize("command", ["ingest", "match"])
def test_a_dask_address_where_no_scheduler_answers_fails_in_one_line_naming_the_setting(command, local_prefect, tmp_path):
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "LABEL_STUDIO_", "PREFECT_API_URL"))}
    env |= local_prefect | {"CLAIMFLOW_DB": str(tmp_path / "w.duckdb"), "CLAIMFLOW_TASK_RUNNER": "dask",
                            "CLAIMFLOW_DASK_ADDRESS": address, "CLAIMFLOW_DASK_CONNECT_TIMEOUT": "2"}
    if command == "match":  # claims to embed, ingested on the default runner
        ingested = subprocess.run([CLAIMFLOW, "ingest", str(SAMPLES)], env=env | {"CLAIMFLOW_TASK_RUNNER": "default"},
                                  capture_output=True, text=True, timeout=600)
        assert ingested.returncode == 0, ingested.stderr
    args = [CLAIMFLOW, command] + ([str(SAMPLES)] if command == "ingest" else [])
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=300)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith("error: CLAIMFLOW_DASK_ADDRESS=" + address) and "Traceback" not in result.stderr
