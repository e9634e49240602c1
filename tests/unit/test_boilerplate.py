"""Real web pages bring boilerplate: credits, copyright, citation and update notes, share and
subscribe prompts, teasers of other stories and photo captions are never claims, and a page that
shrank to almost nothing in extraction is a warning. The pages in tests/fixtures/pages were
written for these tests after the patterns of real news pages."""

import pytest

from claims.blocks import split_blocks
from claims.boilerplate import boilerplate_kind
from tests.conftest import ROOT

PAGES = ROOT / "tests" / "fixtures" / "pages"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Citation: Scientists find X (2020, January 20) retrieved 20 January 2020 from https://phys.example/news/x.html", "citation"),
        ("Update July 3rd, 8:05AM ET: Added ARKit explanation and tweet.", "update_note"),
        ("Updated: 14 February 2025", "update_note"),
        ("Correction: An earlier version of this story misstated the date.", "update_note"),
        ("This story has been updated with comments from the ministry.", "update_note"),
        ("Copyright © 2018 by Thomas W. Malone.", "copyright"),
        ("© 2025 The Harbour Ledger. All rights reserved.", "copyright"),
        ("Protesters gather in Kyiv on Tuesday. Photo: AP", "caption"),
        ("Firefighters at the scene of the blast. (AP Photo/Efrem Lukatsky)", "caption"),
        ("(Reporting by Andreas Rinke; Editing by Mark Heinrich)", "credit"),
        ("Photo credit: Valley Media", "credit"),
        ("Share this article", "share"),
        ("Sign up for our free daily newsletter and get the top stories in your inbox.", "share"),
        ("READ MORE: Trump says tariffs will rise next week.", "teaser"),
        ("Most read: the ten stories everyone is talking about", "teaser"),
        ("Advertisement", "page_furniture"),
    ],
)
def test_page_furniture_is_recognised(line, kind):
    assert boilerplate_kind(line) == kind


@pytest.mark.parametrize(
    "line",
    [
        "NATO was founded in 1949 and now has 32 members, officials said.",
        "Updates to the law were made in 2020: many disagreed.",
        "Written by a former general, the report says NATO is weak.",
        "The picture: a country divided over aid to Ukraine.",
        "The image of a united West was hard to sustain, the minister said.",
        "Share prices fell by 3 percent after the announcement.",
        "More than 40 countries sent delegations to Munich.",
    ],
)
def test_article_sentences_that_mention_such_words_stay_article_text(line):
    assert boilerplate_kind(line) is None


def test_a_teaser_section_runs_to_the_next_heading_or_long_paragraph():
    text = (
        "Ministers met in Munich on Friday to discuss the war.\n\n## Related stories\n\n"
        "- Wind farm delays push up power prices\n- Finland's reactor breaks an output record in December.\n\n"
        "## Background\n\nThe conference has met every February since 1963 and draws defence ministers from dozens "
        "of countries, along with generals, diplomats, lawmakers and researchers who follow security policy."
    )
    kinds = [(b.kind, text[b.start : b.end][:20]) for b in split_blocks(text)]
    assert kinds == [
        ("paragraph", "Ministers met in Mun"),
        ("boilerplate", "Related stories"),
        ("boilerplate", "Wind farm delays pus"),
        ("boilerplate", "Finland's reactor br"),
        ("heading", "Background"),
        ("paragraph", "The conference has m"),
    ]


def read(name):
    from claims.sources import read_articles

    (article,) = list(read_articles([PAGES / name], 2_000_000))
    return article


def test_a_news_page_gives_claims_only_from_its_article_text(nlp):
    from claims.extract import extract

    (ex,) = list(extract(nlp, [read("boilerplate_news.html")]))
    texts = [c.text for c in ex.claims]
    assert texts == [
        "The national grid operator said on Monday that peak demand could exceed supply by 1.2 gigawatts during a cold "
        "snap in January, the largest gap it has forecast since 2012.",
        "Officials blamed the delayed connection of two offshore wind farms, which were due to add 900 megawatts of "
        "capacity before the end of last year.",
        "The operator asked large industrial users to sign contracts that would pay them to cut consumption for up to "
        "four hours at a time.",
        "An energy ministry spokesperson said the government had set aside 40 million euros for emergency reserves.",
    ]
    assert ex.boilerplate == 11  # read more, update, credit, share, sign up, the teaser section (4), citation, copyright


def test_an_html_page_records_how_much_text_the_page_had():
    page = read("boilerplate_news.html")
    assert page.page_chars > len(page.text) > 0.8 * page.page_chars
    assert read("caption_only.html").page_chars > 8 * len(read("caption_only.html").text)


def test_a_page_that_shrank_to_a_caption_is_a_warning_and_gives_no_claim(nlp):
    from claims.extract import extract
    from flows.ingest import extraction_warnings

    pages = [read("caption_only.html"), read("boilerplate_news.html")]
    extractions = list(extract(nlp, pages))
    assert extractions[0].claims == []  # the caption ("... Photo: AP") is not a claim
    (warning,) = extraction_warnings(extractions, 0.2)
    assert warning.startswith(f"{PAGES / 'caption_only.html'}: the article kept 130 of the page's ")
    assert "0 claim(s) landed" in warning
