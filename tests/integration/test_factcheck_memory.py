"""The fact-check library against the real warehouse, encoder and Prefect: `claimflow factchecks
import` lands published fact-checks once (a re-import adds nothing, an updated review updates its
row), and `claimflow match` looks claims up in it both ways: a new fact-check against the claims
already there, a new claim against the library."""

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import copy_warehouse
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")
runner = CliRunner()


@pytest.fixture()
def warehouse(tmp_path, matched_warehouse):
    template, _ = matched_warehouse
    return copy_warehouse(template, tmp_path / "claimflow.duckdb")


def review(url: str, claim: str, rating: str) -> dict:
    return {"@context": "https://schema.org", "@type": "ClaimReview", "url": url, "claimReviewed": claim,
            "reviewRating": {"@type": "Rating", "alternateName": rating},
            "author": {"@type": "Organization", "name": "Example Fact Desk"}, "datePublished": "2026-11-20"}


def write(path, *items) -> str:
    path.write_text("".join(json.dumps(i) + "\n" for i in items), encoding="utf-8")
    return str(path)


def import_(path: str, db) -> str:
    result = runner.invoke(app, ["factchecks", "import", path, "--db", str(db)])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_fact_check_is_imported_once_and_an_updated_review_updates_its_row(warehouse, tmp_path):
    first = write(tmp_path / "a.jsonl", review("https://factdesk.example/a", "The bridge will close for two years.", "False"),
                  {"@type": "ClaimReview", "claimReviewed": "No URL here."})
    result = runner.invoke(app, ["factchecks", "import", first, "--db", str(warehouse)])
    assert result.exit_code == 0
    assert "1 fact-check(s) read: 1 new, 0 updated, 0 unchanged; 1 record(s) skipped" in result.output
    assert f"skipped {first}:2: url: missing" in result.output
    assert "1 fact-check(s) read: 0 new, 0 updated, 1 unchanged" in import_(first, warehouse)
    again = write(tmp_path / "b.jsonl", review("https://factdesk.example/a", "The bridge will close for two years.", "Mostly false"))
    assert "1 fact-check(s) read: 0 new, 1 updated, 0 unchanged" in import_(again, warehouse)
    with connection(warehouse, read_only=True) as con:
        rows = con.execute("SELECT rating, verdict, source, imported_at < updated_at FROM fact_checks").fetchall()
    assert rows == [("Mostly false", "misleading", "import", True)]


def test_match_looks_claims_up_both_ways_and_only_what_is_new(warehouse, tmp_path):
    from flows.ingest import ingest_flow
    from flows.match import match_flow

    with connection(warehouse, read_only=True) as con:
        (claim_a, text_a), (claim_b, text_b) = con.execute(
            "SELECT claim_id, text FROM claims WHERE len(text) > 80 ORDER BY claim_id LIMIT 2").fetchall()
        claims = con.execute("SELECT count(*) FROM claims").fetchone()[0]
    import_(write(tmp_path / "one.jsonl", review("https://factdesk.example/one", text_a, "Four Pinocchios")), warehouse)
    first = match_flow(db=str(warehouse))
    assert (first.fact_checks_embedded, first.claims_looked_up) == (1, claims)  # every claim is new to the lookup
    with connection(warehouse, read_only=True) as con:
        top = con.execute("SELECT claim_id, rank, score, method FROM claim_fact_checks WHERE claim_id = ?", [claim_a]).fetchone()
        best = con.execute("SELECT max(score) FROM claim_fact_checks").fetchone()[0]
    # The claim itself matches at rank 1, among the best scores (a neighbour shares its passage).
    assert top[1] == 1 and top[2] >= 0.5 and top[2] >= best - 0.05 and top[3].startswith("lookup-")

    # A new fact-check: only the claims it could match are looked up again, and the old match stays.
    import_(write(tmp_path / "two.jsonl", review("https://factdesk.example/two", text_b, "Pants on Fire")), warehouse)
    second = match_flow(db=str(warehouse))
    assert second.fact_checks_embedded == 1 and 1 <= second.claims_looked_up < claims
    # A new article repeating the first claim: the new claim is looked up and finds it.
    article = tmp_path / "repeat.txt"
    article.write_text(f"A post repeats the claim\n{text_a}\n", encoding="utf-8")
    ingest_flow(paths=[str(article)], db=str(warehouse))
    third = match_flow(db=str(warehouse))
    assert third.claims_looked_up >= 1 and third.fact_checks_embedded == 0
    with connection(warehouse, read_only=True) as con:
        found = dict(con.execute("SELECT f.url, count(*) FROM claim_fact_checks m JOIN fact_checks f USING (fact_check_id)"
                                 " WHERE m.rank = 1 GROUP BY ALL").fetchall())
        assert con.execute("SELECT count(*) FROM claim_fact_checks WHERE claim_id = ?", [claim_b]).fetchone()[0] >= 1
    assert found["https://factdesk.example/one"] >= 2 and found["https://factdesk.example/two"] >= 1
    assert match_flow(db=str(warehouse)).claims_looked_up == 0  # nothing new: nothing looked up

    listed = runner.invoke(app, ["factchecks", "list", "--db", str(warehouse)])
    assert listed.exit_code == 0 and "Four Pinocchios" in listed.output and "2 rows" in listed.output
    stats = runner.invoke(app, ["factchecks", "stats", "--db", str(warehouse)])
    assert stats.exit_code == 0 and "Example Fact Desk" in stats.output and "refuted" in stats.output


def test_label_studio_shows_a_claim_checked_before_with_its_verdict_pre_selected(matched, ls_client, db_path, tmp_path):
    from flows.match import match_flow
    from flows.push import push_flow

    with connection(db_path, read_only=True) as con:
        (claim_a, text_a), (claim_b, text_b) = con.execute(
            "SELECT claim_id, text FROM claims WHERE score >= 0.4 AND len(text) > 80 ORDER BY claim_id LIMIT 2").fetchall()
    import_(write(tmp_path / "one.jsonl", review("https://factdesk.example/one", text_a, "Four Pinocchios")), db_path)
    match_flow()
    pushed = push_flow()

    def task_of(claim_id):
        with connection(db_path, read_only=True) as con:
            task_id = con.execute("SELECT task_id FROM tasks WHERE claim_id = ?", [claim_id]).fetchone()[0]
        return ls_client.sdk.tasks.get(id=task_id)

    task = task_of(claim_a)
    assert "Checked before:" in task.data["matches_html"] and "Four Pinocchios" in task.data["matches_html"]
    assert 'href="https://factdesk.example/one"' in task.data["matches_html"]
    (prediction,) = task.predictions
    results = {r["from_name"]: r["value"]["choices"] for r in prediction.result}
    assert results["verdict"] == ["refuted"] and "verdict from a fact-check (Example Fact Desk: Four Pinocchios" in prediction.model_version
    assert "Mostly false" not in task_of(claim_b).data["matches_html"]

    # A fact-check imported after the push reaches the task already in Label Studio at the next push.
    import_(write(tmp_path / "two.jsonl", review("https://factdesk.example/two", text_b, "Mostly false")), db_path)
    match_flow()
    again = push_flow()
    assert again.project_id == pushed.project_id and again.matches_updated >= 1
    assert "Mostly false" in task_of(claim_b).data["matches_html"]
