"""The ingest skips an article in a language it does not process, records why, and can keep it
without claims or process it anyway."""

import pytest

from tests.conftest import SAMPLES
from tests.unit.test_language import GERMAN
from warehouse.db import connection


@pytest.mark.usefixtures("prefect_server")
def test_a_german_article_is_skipped_and_recorded_with_its_reason(db_path, monkeypatch):
    from flows.ingest import ingest_flow

    monkeypatch.setenv("CLAIMFLOW_DB", str(db_path))
    report = ingest_flow(paths=[str(GERMAN), str(SAMPLES / "000-shifts-in-global-security-dynamics.txt")])
    assert report.ok and report.articles_new == 1  # a skip is not a failure: the exit status stays 0
    assert [s["path"] for s in report.skipped] == [str(GERMAN)]
    with connection(db_path, read_only=True) as con:
        languages = con.execute("SELECT language, count(*) FROM articles GROUP BY ALL").fetchall()
        skipped = con.execute("SELECT path, kind, reason FROM ingest_failures").fetchall()
        german_claims = con.execute("SELECT count(*) FROM claims WHERE text LIKE '%Bundes%'").fetchone()[0]
    assert languages == [("en", 1)] and german_claims == 0
    assert skipped == [(str(GERMAN), "skipped", "written in 'de', not in CLAIMFLOW_LANGUAGES (en); "
                        "set CLAIMFLOW_OTHER_LANGUAGES=keep to land it without claims")]

    again = ingest_flow(paths=[str(GERMAN)])  # skipped again, nothing landed twice
    assert (again.articles_new, len(again.skipped)) == (0, 1)


@pytest.mark.usefixtures("prefect_server")
def test_an_article_in_another_language_can_be_kept_without_claims_or_processed(db_path, monkeypatch):
    from flows.ingest import ingest_flow

    monkeypatch.setenv("CLAIMFLOW_DB", str(db_path))
    monkeypatch.setenv("CLAIMFLOW_OTHER_LANGUAGES", "keep")
    kept = ingest_flow(paths=[str(GERMAN)])
    assert (kept.articles_new, kept.claims_new, kept.skipped) == (1, 0, [])
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT language, title FROM articles").fetchall() == [("de", "Bundesregierung beschließt neues Entlastungspaket")]

    monkeypatch.setenv("CLAIMFLOW_LANGUAGES", "en,de")  # German processed too, in a fresh warehouse
    monkeypatch.setenv("CLAIMFLOW_DB", str(db_path.with_name("both.duckdb")))
    both = ingest_flow(paths=[str(GERMAN)])
    assert both.articles_new == 1 and both.claims_new > 0
