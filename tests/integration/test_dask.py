"""The extraction on a Dask cluster (CLAIMFLOW_TASK_RUNNER=dask, prefect-dask) gives the same
claims as the default task runner."""

import pytest

from tests.conftest import SAMPLES
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")
COLUMNS = "claim_id, article_id, seq, start_char, end_char, text, block_kind, score, claim_type, entities, context_start, context_end, features, scorer, model"


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as local:
        yield local


def claims(db) -> list[tuple]:
    with connection(db, read_only=True) as con:
        return con.execute(f"SELECT {COLUMNS} FROM claims ORDER BY claim_id").fetchall()


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
