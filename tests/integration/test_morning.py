"""The desk's morning list against the real warehouse and Prefect: the day's check-worthy new
claims by story, marked checked before and where other sources say otherwise, in a table and a
page; made again for its day, it replaces that day's rows."""

import json

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import copy_warehouse
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")


def test_the_morning_list_marks_claims_checked_before_and_said_otherwise(tmp_path, matched_warehouse):
    from flows.match import match_flow
    from flows.morning import morning_flow

    template, _ = matched_warehouse
    db = copy_warehouse(template, tmp_path / "claimflow.duckdb")
    with connection(db, read_only=True) as con:
        day = con.execute("SELECT CAST(max(ingested_at) AS DATE) FROM articles").fetchone()[0]
        text = con.execute("SELECT text FROM claims WHERE score >= 0.4 ORDER BY score DESC LIMIT 1").fetchone()[0]
    reviews = tmp_path / "reviews.jsonl"
    reviews.write_text(json.dumps({"@type": "ClaimReview", "url": "https://factdesk.example/x", "claimReviewed": text,
                                   "reviewRating": {"alternateName": "Misleading"}, "author": {"name": "Example Fact Desk"}}) + "\n")
    assert CliRunner().invoke(app, ["factchecks", "import", str(reviews), "--db", str(db)]).exit_code == 0
    match_flow(db=str(db))

    report = morning_flow(db=str(db), report_dir=str(tmp_path / "out"), day=day.isoformat())
    assert report.claims > 5 and report.checked_before >= 1 and report.says_otherwise >= 1 and 1 <= report.stories < report.claims
    with connection(db, read_only=True) as con:
        rows = con.execute("SELECT rank, story, score, checked_rating, says_otherwise FROM morning_list WHERE list_date = ? ORDER BY rank",
                           [day]).fetchall()
        first_story = con.execute("SELECT count(DISTINCT article_id) FROM morning_list WHERE story = 1").fetchone()[0]
    assert [r[0] for r in rows] == list(range(1, report.claims + 1))
    assert [r[1] for r in rows] == sorted(r[1] for r in rows)  # grouped by story
    assert first_story >= 2  # the samples tell related stories
    page = (tmp_path / "out" / f"morning-{day.isoformat()}.html").read_text()
    assert "Checked before</b>: Misleading (misleading)" in page and "Other sources say otherwise" in page
    assert page == (tmp_path / "out" / "morning.html").read_text()

    again = CliRunner().invoke(app, ["morning", "--date", day.isoformat(), "--out", str(tmp_path / "out"), "--db", str(db)])
    assert again.exit_code == 0, again.output
    with connection(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM morning_list").fetchone()[0] == report.claims  # replaced, not added
    bad = CliRunner().invoke(app, ["morning", "--date", "yesterday", "--db", str(db)])
    assert bad.exit_code == 1 and "--date 'yesterday': not a date; give YYYY-MM-DD" in bad.output
