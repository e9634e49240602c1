"""A German page is not processed as English: every article's language is detected (py3langid),
articles in other languages are skipped (recorded in ingest_failures with their reason) or kept
without claims, by a setting."""

import pytest

from claims.language import UNDETERMINED, detect_language
from tests.conftest import ROOT

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


def test_articles_read_without_languages_are_undetermined_until_told():
    """The ingest reads without the detector and tells the language of new articles only."""
    from claims.sources import read_articles, with_language

    (article,) = read_articles([GERMAN], 2_000_000, languages=False)
    assert article.language == UNDETERMINED
    assert with_language(article).language == "de"
    (told,) = read_articles([GERMAN], 2_000_000)
    assert told == with_language(article)
