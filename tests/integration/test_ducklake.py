"""The warehouse on DuckLake with a PostgreSQL catalog (the session's own PostgreSQL): the commands
as a user runs them, two writers at once, the bad-input lines, a newer schema refused."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import SAMPLES

CLAIMFLOW = str(Path(sys.executable).with_name("claimflow"))
ARTICLES = sorted(SAMPLES.iterdir())[:2]


def command_env(lake: dict, prefect: dict, tmp_path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_") and k != "PREFECT_API_URL"}
    return env | prefect | lake | {"PREFECT_HOME": str(tmp_path / "prefect"), "CLAIMFLOW_LOG_FILE": str(tmp_path / "claimflow.log")}


def claimflow(env: dict, *args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([CLAIMFLOW, *map(str, args)], env=env, capture_output=True, text=True, timeout=600, cwd=cwd)


def rows(env: dict, query: str) -> list[dict]:
    result = claimflow(env, "sql", query, "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


@pytest.mark.slow
def test_two_ingests_at_once_then_match_and_sql_store_every_claim_once(lake_env, local_prefect, tmp_path):
    env = command_env(lake_env, local_prefect, tmp_path)
    started = [subprocess.Popen([CLAIMFLOW, "ingest", str(article)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, cwd=tmp_path) for article in ARTICLES]
    for proc in started:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
    matched = claimflow(env, "match", cwd=tmp_path)
    assert matched.returncode == 0, matched.stderr[-3000:]

    # The same articles in a DuckDB file, one after the other: the same claims.
    file_env = command_env({"CLAIMFLOW_DB": str(tmp_path / "file.duckdb")}, local_prefect, tmp_path)
    assert claimflow(file_env, "ingest", *ARTICLES, cwd=tmp_path).returncode == 0
    claims = "SELECT claim_id, article_id, text FROM claims ORDER BY claim_id"
    in_lake, in_file = rows(env, claims), rows(file_env, claims)
    assert in_lake == in_file and len(in_lake) > 10
    assert len({r["claim_id"] for r in in_lake}) == len(in_lake)
    assert rows(env, "SELECT count(*) AS n FROM articles") == [{"n": 2}]
    runs = rows(env, "SELECT flow, status FROM runs ORDER BY flow")
    assert runs == [{"flow": "ingest", "status": "completed"}] * 2 + [{"flow": "match", "status": "completed"}]
    assert rows(env, "SELECT count(*) AS n FROM claim_overview") == [{"n": len(in_lake)}]  # the views are there
    # The data files are in the folder standing in for object storage, not in a DuckDB file.
    assert not list(tmp_path.glob("**/*.duckdb")) or all(p.name == "file.duckdb" for p in tmp_path.glob("**/*.duckdb"))
    # The data files hold what the warehouse holds (annotators' e-mails among it): their owner's alone.
    data = Path(lake_env["CLAIMFLOW_DUCKLAKE_DATA_PATH"])
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    assert (data.stat().st_mode & 0o777) == 0o700 and all((p.stat().st_mode & 0o077) == 0 for p in [*files, *data.rglob("*")])
    log = (tmp_path / "claimflow.log").read_text()
    password = lake_env["CLAIMFLOW_DB"].rsplit("password=", 1)[1]
    assert password not in log


@pytest.mark.slow
def test_two_matches_at_once_both_succeed_and_store_every_pair_once(lake_env, local_prefect, tmp_path):
    """DuckLake lets two transactions insert the same key: the match's writes take a write turn,
    so the later of two matches conflicts, runs again from a fresh read and adds nothing twice;
    its counts are those of the attempt that committed."""
    env = command_env(lake_env, local_prefect, tmp_path)
    ingested = claimflow(env, "ingest", *sorted(SAMPLES.iterdir())[:3], cwd=tmp_path)
    assert ingested.returncode == 0, ingested.stderr[-3000:]
    started = [subprocess.Popen([CLAIMFLOW, "match"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
               for _ in range(2)]
    for proc in started:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, (out + err)[-3000:]

    twice = "SELECT {key}, count(*) AS n FROM {table} GROUP BY ALL HAVING count(*) > 1"
    for table, key in (("claim_pairs", "pair_id"), ("article_pairs", "article_id_a, article_id_b"),
                       ("matched_claims", "claim_id"), ("claim_embeddings", "claim_id, encoder"),
                       ("article_embeddings", "article_id, encoder"), ("fact_check_lookups", "kind, id")):
        assert rows(env, twice.format(key=key, table=table)) == [], table
    pairs = rows(env, "SELECT count(*) AS n FROM claim_pairs")[0]["n"]
    claims = rows(env, "SELECT count(*) AS n FROM claims")[0]["n"]
    assert pairs > 0 and rows(env, "SELECT count(*) AS n FROM matched_claims") == [{"n": claims}]
    runs = rows(env, "SELECT status, CAST(json_extract(counts, '$.pairs_new') AS INTEGER) AS pairs_new,"
                     " CAST(json_extract(counts, '$.claims_embedded') AS INTEGER) AS embedded FROM runs WHERE flow = 'match'")
    assert [r["status"] for r in runs] == ["completed", "completed"]
    assert sum(r["pairs_new"] for r in runs) == pairs and sum(r["embedded"] for r in runs) == claims


def test_sql_on_ducklake_reads_the_catalog_and_refuses_writes_and_the_connection_string(lake_env, tmp_path):
    from warehouse.db import connection

    with connection(lake_env["CLAIMFLOW_DB"]) as con:
        con.execute("INSERT INTO articles (article_id, title, text, n_chars, n_words, ingested_at)"
                    " VALUES ('a1', 'NATO at 76', 'NATO has 32 members.', 20, 4, now())")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")} | lake_env
    assert rows(env, "SELECT article_id, title FROM articles") == [{"article_id": "a1", "title": "NATO at 76"}]
    password = lake_env["CLAIMFLOW_DB"].rsplit("password=", 1)[1]
    for query in ("DELETE FROM articles", "CREATE TABLE x (a INT)", "SELECT * FROM duckdb_databases()", "PRAGMA database_list",
                  "SELECT * FROM read_text('/etc/hostname')", "CALL enable_logging(storage = 'file', storage_path = '/tmp')"):
        result = claimflow(env, "sql", query)
        lines = result.stderr.strip().splitlines()
        assert result.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: "), (query, result.stderr)
        assert password not in result.stdout + result.stderr
    assert rows(env, "SELECT count(*) AS n FROM articles") == [{"n": 1}]
    assert not list(tmp_path.glob("**/*.snapshot"))


@pytest.mark.parametrize("bad", ["password", "port"])
def test_an_unreachable_catalog_or_a_wrong_password_is_one_line_naming_the_setting(postgres_database, tmp_path, bad):
    import dataclasses

    from tests.conftest import ducklake_db, free_port

    wrong = {"password": "Wr0ngPassw0rd"} if bad == "password" else {"port": free_port()}
    db = ducklake_db(dataclasses.replace(postgres_database, **wrong))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")} | {
        "CLAIMFLOW_DB": db, "CLAIMFLOW_DUCKLAKE_DATA_PATH": str(tmp_path / "data"), "CLAIMFLOW_LOG_FILE": str(tmp_path / "log")}
    result = claimflow(env, "migrate")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert "CLAIMFLOW_DB" in lines[0] and "password=***" in lines[0]
    assert ("password authentication failed" if bad == "password" else "Connection refused") in lines[0]
    secret = db.rsplit("password=", 1)[1]
    assert secret not in result.stdout + result.stderr + (tmp_path / "log").read_text(errors="replace")


@pytest.mark.parametrize("kind", ["ducklake", "file"])
def test_a_warehouse_of_a_newer_schema_is_refused_and_left_as_it_is(kind, request, tmp_path):
    from warehouse.db import connection, migrations
    from warehouse.errors import SchemaTooNew

    db = request.getfixturevalue("lake_env")["CLAIMFLOW_DB"] if kind == "ducklake" else str(tmp_path / "w.duckdb")
    newer = migrations()[-1][0] + 1
    with connection(db) as con:
        con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, 'from_the_future')", [newer])
        con.execute("CREATE OR REPLACE VIEW claim_overview AS SELECT 'changed by the newer claimflow' AS note")
        before = con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall()
    from warehouse import db as warehouse_db

    warehouse_db._migrated.clear()  # as a new process: it checks the schema again
    with pytest.raises(SchemaTooNew) as caught:
        with connection(db):
            pass
    assert f"version {newer}" in str(caught.value) and "password=***" in str(caught.value) if kind == "ducklake" else True
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")} | {"CLAIMFLOW_DB": db, "CLAIMFLOW_LOG_FILE": str(tmp_path / "log")}
    result = claimflow(env, "migrate")
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1 and f"version {newer}, newer than" in lines[0], result.stderr
    assert ("password=***" in lines[0]) if kind == "ducklake" else (db in lines[0])
    with connection(db, read_only=True) as con:
        assert con.execute("SELECT version FROM schema_migrations ORDER BY version").fetchall() == before
        assert con.execute("SELECT note FROM claim_overview").fetchall() == [("changed by the newer claimflow",)]


@pytest.mark.slow
def test_an_ingest_and_a_land_from_two_processes_store_every_row_once(ls_env, lake_env, ls_client, local_prefect, prefect_server,
                                                                       tmp_path):
    """One article ingested and pushed, its tasks annotated in the session's Label Studio; then a
    land and the ingest of another article, each a `claimflow` process, started together. The
    land's quality gate (Great Expectations over frames read from the catalog) runs on DuckLake,
    and so does the export."""
    from annotation.results import annotation_result
    from flows.ingest import ingest_flow
    from flows.push import push_flow
    from warehouse.db import connection

    assert ingest_flow(paths=[str(ARTICLES[0])]).ok
    push_flow()
    with connection(lake_env["CLAIMFLOW_DB"]) as con:
        task_ids = [r[0] for r in con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 3").fetchall()]
    people = [ls_client.ensure_user(email, first_name=email[:3]) for email in ("ana@lake.example", "ben@lake.example")]
    annotations = sorted(ls_client.annotate(task, annotation_result(verdict="supported", confidence=4), user=user)
                         for task in task_ids for user in people)

    env = command_env(lake_env, local_prefect, tmp_path) | {
        k: v for k, v in os.environ.items() if k.startswith("CLAIMFLOW_LS")}
    started = [subprocess.Popen([CLAIMFLOW, *args], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=tmp_path)
               for args in (["land"], ["ingest", str(ARTICLES[1])])]
    for proc in started:
        out, err = proc.communicate(timeout=900)
        assert proc.returncode == 0, (out + err)[-3000:]

    once = ("SELECT count(*) AS n, count(DISTINCT {key}) AS d FROM {table}")
    assert rows(env, once.format(key="annotation_id", table="labels")) == [{"n": 6, "d": 6}]
    assert rows(env, "SELECT annotation_id FROM annotations_raw ORDER BY 1") == [{"annotation_id": a} for a in annotations]
    assert rows(env, once.format(key="article_id", table="articles")) == [{"n": 2, "d": 2}]
    claims = rows(env, once.format(key="claim_id", table="claims"))[0]
    assert claims["n"] == claims["d"] > 10
    assert rows(env, once.format(key="claim_id", table="verdicts")) == [{"n": 3, "d": 3}]
    statuses = rows(env, "SELECT flow, status FROM runs WHERE flow IN ('ingest', 'land') ORDER BY flow")
    assert statuses == [{"flow": "ingest", "status": "completed"}] * 2 + [{"flow": "land", "status": "completed"}]

    exported = claimflow(env, "export", "--format", "parquet", "--out", tmp_path / "export")
    assert exported.returncode == 0, exported.stderr
    assert "labels: 6 rows" in exported.stdout and (tmp_path / "export" / "claim_overview.parquet").exists()

    # Prefect records flow parameters: the catalog's password is not among them.
    import asyncio

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    async def flow_parameters():
        async with get_client() as client:
            return " ".join(str(r.parameters) for r in await client.read_flow_runs(limit=200, sort=FlowRunSort.START_TIME_DESC))

    password = lake_env["CLAIMFLOW_DB"].rsplit("password=", 1)[1]
    parameters = asyncio.run(flow_parameters())
    assert "'paths'" in parameters and password not in parameters


LAND_SCRIPT = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, {bench!r})
from bench_ducklake import annotated_tasks
from flows.land import land_annotations
from flows.settings import get_settings

settings = get_settings()
claim_ids = json.loads(Path({claims!r}).read_text())
tasks = annotated_tasks(claim_ids, 1)
go = Path({go!r})
Path(str(go) + "-" + sys.argv[1]).touch()  # ready
while not go.exists():
    time.sleep(0.01)
counts = land_annotations.fn("http://lake.example", str(settings.db), 1, tasks, {{3: "ann2@example.com"}}, None, sys.argv[1])
print(json.dumps({{"labels_new": counts["labels_new"], "raw": counts["raw"]}}))
"""


@pytest.mark.slow
def test_two_lands_of_one_project_at_once_store_each_annotation_once(lake_env, tmp_path):
    """The land's storage step in two processes at once, on the same pulled tasks (as two
    `claimflow land` of one project pull them): the loser of the conflict lands again from a fresh
    read, so every annotation is stored once, raw and as a label."""
    import pyarrow as pa

    from tests.unit.test_benches import bench_module
    from warehouse.db import connection, registered

    bench = bench_module("bench_ducklake")
    extracted = bench.extractions(3)
    bench.store(lake_env["CLAIMFLOW_DB"], lake_env["CLAIMFLOW_DUCKLAKE_DATA_PATH"], extracted, 0, 1, "ingest")
    claim_ids = [c.claim_id for e in extracted for c in e.claims][:40]
    mapping = pa.table({"claim_id": claim_ids, "task_id": list(range(1, len(claim_ids) + 1))})
    with connection(lake_env["CLAIMFLOW_DB"]) as con, registered(con, mapping=mapping):
        con.execute("INSERT INTO tasks (ls_url, project_id, claim_id, task_id, pushed_at)"
                    " SELECT 'http://lake.example', 1, claim_id, task_id, now() FROM mapping")
    (tmp_path / "claims.json").write_text(json.dumps(claim_ids))
    script = tmp_path / "land.py"
    script.write_text(LAND_SCRIPT.format(bench=str(bench.ROOT / "bench"), claims=str(tmp_path / "claims.json"), go=str(tmp_path / "go")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLAIMFLOW_")} | lake_env
    lands = [subprocess.Popen([sys.executable, str(script), f"land-{k}"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for k in (1, 2)]
    import time

    while not all((tmp_path / f"go-land-{k}").exists() for k in (1, 2)):  # both imported and built their tasks
        assert all(proc.poll() is None for proc in lands), [proc.communicate() for proc in lands]
        time.sleep(0.1)
    (tmp_path / "go").touch()
    outcomes = []
    for proc in lands:
        out, err = proc.communicate(timeout=600)
        assert proc.returncode == 0, err[-3000:]
        outcomes.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(o["labels_new"] for o in outcomes) == [0, len(claim_ids)]
    with connection(lake_env["CLAIMFLOW_DB"], read_only=True) as con:
        for table in ("labels", "annotations_raw"):
            n, distinct = con.execute(f"SELECT count(*), count(DISTINCT annotation_id) FROM {table}").fetchone()
            assert n == distinct == len(claim_ids), table
