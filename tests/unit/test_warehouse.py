from datetime import datetime

import duckdb

from claims.records import articles_table, claims_table
from warehouse import load
from warehouse.db import connect, connection, migrate, migrations

AT = datetime(2026, 1, 1)


def test_migrations_are_numbered_uniquely_and_applied_in_order(db_path):
    versions = [v for v, _, _ in migrations()]
    assert versions == sorted(versions) and versions[0] == 1
    with connection(db_path) as con:
        rows = con.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
        tables = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    assert [r[0] for r in rows] == versions
    assert {"articles", "claims", "runs", "ingest_failures", "claim_overview", "article_claim_summary"} <= tables


def test_migrating_twice_applies_nothing_the_second_time(db_path):
    con = connect(db_path)
    assert migrate(con) == []
    con.close()


def test_a_fresh_database_reports_what_it_applied(tmp_path):
    con = duckdb.connect(str(tmp_path / "x.duckdb"))
    assert migrate(con) == [f"{v:04d}_{n}" for v, n, _ in migrations()]


def test_loading_articles_twice_adds_nothing(db_path, sample_articles):
    table = articles_table(sample_articles, run_id="r1", at=AT)
    with connection(db_path) as con:
        first = load.upsert_articles(con, table)
        second = load.upsert_articles(con, articles_table(sample_articles, run_id="r2", at=AT))
        count, run_ids = con.execute("SELECT count(*), list(DISTINCT run_id) FROM articles").fetchone()
    assert (first.new, first.existing) == (5, 0)
    assert (second.new, second.existing) == (0, 5)
    assert count == 5 and run_ids == ["r1"]


def test_duplicates_within_one_batch_land_once(db_path, sample_articles):
    table = articles_table(sample_articles + sample_articles, run_id="r1", at=AT)
    with connection(db_path) as con:
        counts = load.upsert_articles(con, table)
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
    assert counts.new == 5


def test_claims_upsert_inserts_then_rescores(db_path, sample_articles, sample_extractions):
    from dataclasses import replace

    claims = [c for ex in sample_extractions for c in ex.claims]
    with connection(db_path) as con:
        load.upsert_articles(con, articles_table(sample_articles, run_id="r1", at=AT))
        first = load.upsert_claims(con, claims_table(claims, run_id="r1", at=AT))
        rescored = [replace(c, score=0.5, scorer="rules-v2") for c in claims]
        second = load.upsert_claims(con, claims_table(rescored, run_id="r2", at=AT))
        n, scorers, ok = con.execute(
            "SELECT count(*), list(DISTINCT scorer), bool_and(substring(a.text, c.start_char + 1, c.end_char - c.start_char) = c.text)"
            " FROM claims c JOIN articles a USING (article_id)"
        ).fetchone()
    assert (first.new, first.existing) == (len(claims), 0)
    assert (second.new, second.existing) == (0, len(claims))
    assert n == len(claims) and scorers == ["rules-v2"] and ok


def test_claim_overview_shows_the_claim_inside_its_context(db_path, sample_articles, sample_extractions):
    claims = [c for ex in sample_extractions for c in ex.claims]
    with connection(db_path) as con:
        load.upsert_articles(con, articles_table(sample_articles, run_id="r1", at=AT))
        load.upsert_claims(con, claims_table(claims, run_id="r1", at=AT))
        bad = con.execute(
            "SELECT count(*) FROM claim_overview"
            " WHERE substring(context, claim_start_in_context + 1, claim_end_in_context - claim_start_in_context) <> claim"
        ).fetchone()[0]
        titles = con.execute("SELECT count(DISTINCT article_title) FROM claim_overview").fetchone()[0]
    assert bad == 0 and titles == 5


def test_runs_and_failures_are_recorded(db_path):
    with connection(db_path) as con:
        load.start_run(con, "r1", "ingest", {"paths": ["a"]})
        load.record_failures(con, "r1", [{"path": "a.txt", "line": None, "reason": "file is empty"}, {"path": "b.jsonl", "line": 3, "reason": "invalid JSON"}])
        load.finish_run(con, "r1", "completed_with_failures", {"failures": 2})
        run = con.execute("SELECT status, counts->>'failures', finished_at IS NOT NULL FROM runs").fetchone()
        failures = con.execute("SELECT path, line, reason FROM ingest_failures ORDER BY path").fetchall()
    assert run == ("completed_with_failures", "2", True)
    assert failures == [("a.txt", None, "file is empty"), ("b.jsonl", 3, "invalid JSON")]


def test_empty_batches_are_a_no_op(db_path):
    with connection(db_path) as con:
        assert load.upsert_articles(con, articles_table([], run_id="r", at=AT)) == load.LoadCounts(0, 0)
        assert load.existing_article_ids(con, []) == set()


def test_rows_become_a_table_with_nulls_for_missing_fields_and_constant_columns():
    import pyarrow as pa

    from warehouse.annotations import _table

    schema = pa.schema([("a", pa.int32()), ("b", pa.string()), ("run", pa.string())])
    table = _table([{"a": 1, "b": "x"}, {"a": 2}], schema, run="r1")
    assert table.to_pylist() == [{"a": 1, "b": "x", "run": "r1"}, {"a": 2, "b": None, "run": "r1"}]
    assert _table([], schema, run="r1").num_rows == 0
    one = pa.schema([("a", pa.int32())])
    assert _table([{"a": 5}, {}], one).to_pylist() == [{"a": 5}, {"a": None}]
