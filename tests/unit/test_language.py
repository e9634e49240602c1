"""A German page is not processed as English: every article's language is detected (py3langid),
articles in other languages are skipped (recorded in ingest_failures with their reason) or kept
without claims, by a setting."""

import pytest

from claims.language import UNDETERMINED, detect_language
from tests.conftest import ROOT, SAMPLES
from warehouse.db import connection

GERMAN = ROOT / "tests" / "fixtures" / "pages" / "german_article.md"


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Die Bundesregierung hat am Mittwoch ein Entlastungspaket im Umfang von 12 Milliarden Euro beschlossen.", "de"),
        ("The national grid operator said on Monday that peak demand could exceed supply by 1.2 gigawatts.", "en"),
        ("Le gouvernement a annoncé mardi un nouveau plan d'aide de deux milliards d'euros pour les agriculteurs.", "fr"),
        ("Copyright 2018", UNDETERMINED),  # too short to tell
    ],
)
def test_the_language_of_a_text_is_detected(text, language):
    assert detect_language(text) == language


def test_every_sample_article_is_english(sample_articles):
    assert {a.language for a in sample_articles} == {"en"}




@pytest.mark.integration
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


@pytest.mark.integration
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
