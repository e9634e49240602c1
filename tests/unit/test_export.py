"""`claimflow export`: every table and view as Parquet or CSV, and ClaimReview JSON-LD that
satisfies a schema of the properties fact-check readers need."""

import json
from datetime import datetime

import duckdb
import jsonschema
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import FIXTURES
from warehouse.db import connection

runner = CliRunner()
SCHEMA = json.loads((FIXTURES / "claimreview.schema.json").read_text())
VERDICTS = {"c1": ("supported", "resolved"), "c2": ("refuted", "resolved"), "c3": ("misleading", "needs_review"),
            "c4": (None, "open"), "c5": ("not_checkable", "resolved")}


@pytest.fixture
def warehouse(db_path):
    at = datetime(2026, 11, 1, 12)
    with connection(db_path) as con:
        con.execute(
            "INSERT INTO articles (article_id, title, url, source, published_at, text, n_chars, n_words, ingested_at) VALUES"
            " ('a1', 'Unity at Munich', 'https://news.example/munich', 'Example News', '2025-02-15', 'Some text here.', 15, 3, ?),"
            " ('a2', NULL, NULL, NULL, NULL, 'Other text.', 11, 2, ?)", [at, at],
        )
        for i, claim in enumerate(VERDICTS):
            con.execute(
                "INSERT INTO claims (claim_id, article_id, seq, start_char, end_char, text, block_kind, score, claim_type,"
                " context_start, context_end, scorer, model, extracted_at) VALUES (?, ?, ?, 0, 4, ?, 'paragraph', 0.9,"
                " 'statement', 0, 15, 'rules-v1', 'test', ?)", [claim, "a2" if claim == "c5" else "a1", i, f"Claim {claim} text", at],
            )
        for claim, (verdict, status) in VERDICTS.items():
            con.execute(
                "INSERT INTO verdicts (claim_id, verdict, status, method, n_annotations, votes, agreement, resolved_at)"
                " VALUES (?, ?, ?, 'majority_vote', 2, MAP {'x': 2}, 1.0, ?)", [claim, verdict, status, at],
            )
    return db_path


def invoke(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_every_table_and_view_is_exported_one_file_each_including_new_ones(warehouse, tmp_path, fmt):
    with connection(warehouse) as con:
        con.execute("CREATE VIEW added_later AS SELECT claim_id FROM verdicts WHERE status = 'resolved'")
        names = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()}
    result = invoke("export", "--format", fmt, "--out", tmp_path / "out", "--db", warehouse)
    assert result.exit_code == 0, result.output
    files = {p.stem: p for p in (tmp_path / "out").iterdir()}
    assert set(files) == names - {"schema_migrations", "schema_views", "write_turns"}
    assert {"claim_status", "article_summary", "verdicts", "labels", "added_later"} <= set(files)
    reader = "read_parquet" if fmt == "parquet" else "read_csv_auto"
    assert duckdb.sql(f"SELECT count(*) FROM {reader}('{files['added_later']}')").fetchone()[0] == 3
    assert duckdb.sql(f"SELECT count(*) FROM {reader}('{files['verdicts']}')").fetchone()[0] == 5
    assert "added_later: 3 rows" in result.output


def test_claimreview_export_gives_one_valid_item_per_resolved_verdict(warehouse, tmp_path, monkeypatch):
    monkeypatch.setenv("CLAIMFLOW_CLAIMREVIEW_ORGANIZATION", "Desk Checks")
    monkeypatch.setenv("CLAIMFLOW_CLAIMREVIEW_ORGANIZATION_URL", "https://desk.example")
    monkeypatch.setenv("CLAIMFLOW_CLAIMREVIEW_BASE_URL", "https://desk.example/checks/")
    out = tmp_path / "reviews.jsonld"
    result = invoke("export", "--format", "claimreview", "--out", out, "--db", warehouse)
    assert result.exit_code == 0, result.output
    items = json.loads(out.read_text())
    assert sorted(i["url"] for i in items) == [f"https://desk.example/checks/{c}" for c in ("c1", "c2", "c5")]
    for item in items:
        jsonschema.validate(item, SCHEMA)
        rating = item["reviewRating"]
        assert rating["worstRating"] <= rating["ratingValue"] <= rating["bestRating"] and rating["bestRating"] > rating["worstRating"]
        assert item["author"] == {"@type": "Organization", "name": "Desk Checks", "url": "https://desk.example"}
    by_claim = {i["url"].rsplit("/", 1)[1]: i for i in items}
    assert by_claim["c1"]["claimReviewed"] == "Claim c1 text"
    assert by_claim["c1"]["reviewRating"]["alternateName"] == "Supported" and by_claim["c1"]["reviewRating"]["ratingValue"] == 5
    assert by_claim["c2"]["reviewRating"]["ratingValue"] == 1
    assert by_claim["c1"]["itemReviewed"] == {
        "@type": "Claim", "appearance": {"@type": "CreativeWork", "url": "https://news.example/munich", "headline": "Unity at Munich"},
        "datePublished": "2025-02-15", "author": {"@type": "Organization", "name": "Example News"},
    }
    assert by_claim["c5"]["itemReviewed"] == {"@type": "Claim", "appearance": {"@type": "CreativeWork"}}  # nothing known of it
    assert by_claim["c1"]["datePublished"] == "2026-11-01"


def test_the_schema_refuses_an_item_without_a_rating_name(warehouse, tmp_path):
    invoke("export", "--format", "claimreview", "--out", tmp_path, "--db", warehouse)
    item = json.loads((tmp_path / "claimreview.jsonld").read_text())[0]
    del item["reviewRating"]["alternateName"]
    with pytest.raises(jsonschema.ValidationError, match="alternateName"):
        jsonschema.validate(item, SCHEMA)


def test_export_of_a_missing_warehouse_says_what_to_do(tmp_path):
    result = runner.invoke(app, ["export", "--format", "csv", "--out", str(tmp_path), "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1 and "does not exist yet" in result.output


def test_the_desk_s_claimreviews_carry_the_rationale_and_evidence_and_round_trip_through_import(warehouse, tmp_path):
    at = datetime(2026, 11, 2, 9)
    with connection(warehouse) as con:
        con.execute(
            "INSERT INTO labels (ls_url, annotation_id, project_id, task_id, claim_id, annotator, verdict, rationale, evidence_urls,"
            " created_at, landed_at) VALUES"
            " ('http://ls', 1, 1, 1, 'c2', 'a@x', 'refuted', 'The ministry''s own figures say otherwise.',"
            "  ['https://stats.example/table', 'https://ministry.example/report'], ?, ?),"
            " ('http://ls', 2, 1, 1, 'c2', 'b@x', 'refuted', NULL, ['https://stats.example/table'], ?, ?),"
            " ('http://ls', 3, 1, 1, 'c2', 'c@x', 'supported', 'Looks right to me.', ['https://blog.example'], ?, ?)",
            [at, at, at, at, at, at],
        )
    out = tmp_path / "reviews.jsonld"
    result = invoke("export", "--format", "claimreview", "--out", out, "--db", warehouse)
    assert result.exit_code == 0
    # Without the settings, the placeholder url and the missing site are said, not passed over.
    assert "warning: each ClaimReview's url is the placeholder https://claimflow.example/claims/<claim id>" in result.output
    assert "warning: the author has no url: set CLAIMFLOW_CLAIMREVIEW_ORGANIZATION_URL" in result.output
    items = {i["url"].rsplit("/", 1)[1]: i for i in json.loads(out.read_text())}
    assert items["c2"]["reviewBody"] == "The ministry's own figures say otherwise."  # an annotator of the verdict, not the dissenter
    assert [e["url"] for e in items["c2"]["isBasedOn"]] == ["https://ministry.example/report", "https://stats.example/table"]
    assert "reviewBody" not in items["c1"]

    other = tmp_path / "other.duckdb"
    imported = invoke("factchecks", "import", out, "--db", other)
    assert imported.exit_code == 0 and "3 fact-check(s) read: 3 new" in imported.output
    with connection(other, read_only=True) as con:
        rows = {r[0].rsplit("/", 1)[1]: r[1:] for r in con.execute(
            "SELECT url, claim_reviewed, rating, verdict, publisher, rationale, evidence_urls FROM fact_checks").fetchall()}
    assert rows["c2"] == ("Claim c2 text", "Refuted", "refuted", "claimflow", "The ministry's own figures say otherwise.",
                          ["https://ministry.example/report", "https://stats.example/table"])
    assert rows["c1"][2:4] == ("supported", "claimflow") and rows["c5"][1:3] == ("Not checkable", None)


def test_the_desk_s_verdicts_join_the_library_and_leave_it_when_they_are_no_longer_resolved(warehouse):
    from flows.match import look_up_fact_checks
    from flows.settings import Settings

    def desk() -> dict[str, str]:
        with connection(warehouse, read_only=True) as con:
            return dict(con.execute("SELECT claim_id, verdict FROM fact_checks WHERE source = 'desk'").fetchall())

    def vectors() -> int:
        with connection(warehouse, read_only=True) as con:
            return con.execute("SELECT count(*) FROM fact_check_embeddings").fetchone()[0]

    settings = Settings()
    embedded, _, _ = look_up_fact_checks.fn(str(warehouse), settings, "run-1")
    assert desk() == {"c1": "supported", "c2": "refuted", "c5": None} and embedded == 3 == vectors()
    # Two annotators reopen c2 (their answers now disagree): its verdict is no longer the desk's word.
    with connection(warehouse) as con:
        con.execute("UPDATE verdicts SET status = 'needs_review' WHERE claim_id = 'c2'")
    look_up_fact_checks.fn(str(warehouse), settings, "run-2")
    assert desk() == {"c1": "supported", "c5": None} and vectors() == 2
    # Resolved again, with another verdict: it is back, as it now reads.
    with connection(warehouse) as con:
        con.execute("UPDATE verdicts SET status = 'resolved', verdict = 'misleading' WHERE claim_id = 'c2'")
    look_up_fact_checks.fn(str(warehouse), settings, "run-3")
    assert desk() == {"c1": "supported", "c2": "misleading", "c5": None} and vectors() == 3


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,x", "ftp://x.example/a"])
def test_a_claimreview_links_only_http_urls(url):
    from warehouse.export import Publisher, claim_review

    row = {"claim_id": "c1", "claim": "Claim", "verdict": "refuted", "reviewed_at": datetime(2026, 11, 1), "rationale": None,
           "evidence_urls": [url, "https://stats.example/t"], "article_url": url, "article_title": "T", "article_source": None,
           "article_published_at": None}
    item = claim_review(row, Publisher("Desk", "https://desk.example/", organization_url=url))
    assert item["itemReviewed"]["appearance"] == {"@type": "CreativeWork", "headline": "T"}
    assert item["isBasedOn"] == [{"@type": "CreativeWork", "url": "https://stats.example/t"}]
    assert item["author"] == {"@type": "Organization", "name": "Desk"}


def test_the_claimreview_file_escapes_what_would_end_a_script_block_and_reads_back_the_same(warehouse, tmp_path):
    hostile = "</script><script>alert(1)</script> & <!-- more"
    with connection(warehouse) as con:
        con.execute("UPDATE claims SET text = ? WHERE claim_id = 'c1'", [hostile])
    out = tmp_path / "reviews.jsonld"
    assert invoke("export", "--format", "claimreview", "--out", out, "--db", warehouse).exit_code == 0
    text = out.read_text()
    assert "\\u003c/script\\u003e" in text and "\\u0026" in text and not {"<", ">", "&"} & set(text)
    assert {i["claimReviewed"] for i in json.loads(text)} >= {hostile}
