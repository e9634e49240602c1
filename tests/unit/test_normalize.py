import pytest

from claims.normalize import article_id, claim_id, normalize_text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Outcomes of the Conference**", "Outcomes of the Conference"),
        ("1. **Redefining NATO's Role**", "1. Redefining NATO's Role"),
        ("*Populist movements* and shifting mandates", "Populist movements and shifting mandates"),
        ("__bold__ text and snake_case_name", "bold text and snake_case_name"),
        ("- bullet stays\n* star bullet stays", "- bullet stays\n* star bullet stays"),
        ("See [the report](https://example.org/r) now", "See the report now"),
        ("a\r\nb\rc", "a\nb\nc"),
        ("too    many \t spaces  ", "too many spaces"),
        ("para one\n\n\n\n\npara two", "para one\n\npara two"),
        ("\n\n  leading and trailing  \n\n", "leading and trailing"),
        ("zero\u200bwidth\ufeff and soft\u00adhyphen", "zerowidth and softhyphen"),
        ("non\u00a0breaking", "non breaking"),
        ("ﬁne ligature", "fine ligature"),
        ("bell\x07 char", "bell char"),
        ("> A quoted claim survives without its marker.\n> > And a nested one.", "A quoted claim survives without its marker.\nAnd a nested one."),
        ("Turnout rose > 5 points.", "Turnout rose > 5 points."),
        (r"Footnote \[1\] and a \*literal\* star, \#hashtag", "Footnote [1] and a *literal* star, #hashtag"),
        ("See [Munich](https://en.wikipedia.org/wiki/Munich_Security_Conference_(2025)) for more", "See Munich for more"),
        ("See [the report](<https://example.org/a report>) now", "See the report now"),
        ("Before ![a photo](https://example.org/p.jpg) after", "Before after"),
    ],
)
def test_normalize_text_cleans(raw, expected):
    assert normalize_text(raw) == expected


def test_normalize_text_is_idempotent_on_every_sample(sample_articles):
    for article in sample_articles:
        assert normalize_text(article.text) == article.text


@pytest.mark.parametrize("raw", ["e\u200d\u0301 cafe", "e**\u0301** mark", "a\x07\u0308 b"])
def test_normalize_text_is_idempotent_when_marks_follow_invisible_characters_or_markup(raw):
    once = normalize_text(raw)
    assert normalize_text(once) == once


def test_article_id_survives_line_endings_trailing_spaces_and_emphasis():
    a = "Title\n\nNATO has **32** members.\n"
    b = "Title  \r\n\r\nNATO has 32 members.\r\n\r\n"
    assert article_id(normalize_text(a)) == article_id(normalize_text(b))


def test_article_id_differs_for_different_text():
    assert article_id("NATO has 32 members.") != article_id("NATO has 31 members.")


def test_claim_id_depends_on_article_and_offsets():
    assert claim_id("a", 0, 10) == claim_id("a", 0, 10)
    assert len({claim_id("a", 0, 10), claim_id("a", 0, 11), claim_id("b", 0, 10)}) == 3
