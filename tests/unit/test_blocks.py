import pytest

from claims.blocks import split_blocks, title_of


def kinds(text):
    return [(b.kind, text[b.start : b.end]) for b in split_blocks(text)]


def test_blocks_strip_markers_and_keep_offsets():
    text = "### The Impact\n\nA paragraph. Another one.\n- A list item ends here.\n1. Numbered Heading"
    assert kinds(text) == [
        ("heading", "The Impact"),
        ("paragraph", "A paragraph. Another one."),
        ("list_item", "A list item ends here."),
        ("heading", "Numbered Heading"),
    ]


@pytest.mark.parametrize(
    "line",
    ["Wrapping Up", "A Shift in Global Alliances?", "The Shifting Sands of Security Guarantees", "## Conclusion"],
)
def test_short_lines_without_sentence_end_are_headings(line):
    assert kinds(line)[0][0] == "heading"


@pytest.mark.parametrize(
    "line",
    [
        "Here are five significant takeaways:",
        "NATO now has 32 members.",
        "Could a lasting peace be closer than many believe? The recent flurry of talks says so.",
    ],
)
def test_sentences_are_not_headings(line):
    assert kinds(line)[0][0] == "paragraph"


EXPECTED_TITLES = {
    "000": "Shifts in Global Security Dynamics: Implications for the Future",
    "001": "Outcomes of the Munich Security Conference: A Shift in Global Dynamics",
    "002": "Ukraine Peace Talks & the New Security Landscape: What’s Next After Trump’s Push",
    "003": "Russia’s Expectations for Renewed Dialogue at MSC Fall Short",
    "004": "Trump and Putin’s Closer Ties: NATO’s Dilemma and the Future of Global Security",
}


def test_every_sample_article_gets_its_title(sample_articles):
    titles = {a.source_path.rsplit("/", 1)[1][:3]: a.title for a in sample_articles}
    assert titles == EXPECTED_TITLES


def test_title_falls_back_to_first_line():
    text = "NATO now has 32 members. It was founded in 1949."
    assert title_of(text, split_blocks(text)) == text
