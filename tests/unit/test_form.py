"""The form annotators see: instructions, readable choices whose stored values stay the same, a
key for confidence, the source URL as a link, the context with its line breaks, and a Data
Manager tab without raw HTML columns."""

import xml.etree.ElementTree as ET

import pytest

from annotation.config import CLAIM_CONFIG, PAIR_CONFIG, claim_controls, config_text
from tests.helpers import instructions_html

VERDICTS = ("supported", "refuted", "misleading", "not_enough_info", "not_checkable")


def test_the_stored_values_stay_the_same_and_every_choice_reads_as_words():
    controls = claim_controls()
    assert controls.verdicts == VERDICTS
    assert controls.checkworthy.choices == ("check_worthy", "not_check_worthy")
    choices = list(ET.fromstring(config_text()).iter("Choice"))
    assert len(choices) == 7
    for choice in choices:
        shown, stored = choice.attrib["value"], choice.attrib["alias"]
        assert shown != stored and "_" not in shown and shown[0].isupper(), shown


def test_verdicts_and_confidence_have_keys():
    root = ET.fromstring(config_text())
    assert [c.attrib.get("hotkey") for c in root.find(".//Choices[@name='verdict']")] == [
        "ctrl+shift+1", "ctrl+shift+2", "ctrl+shift+3", "ctrl+shift+4", "ctrl+shift+5"]
    assert root.find(".//Rating[@name='confidence']").attrib["hotkey"] == "ctrl+shift+0"


@pytest.mark.parametrize("name", [CLAIM_CONFIG, PAIR_CONFIG])
def test_no_key_typed_as_text_alone_changes_an_answer(name):
    # Label Studio gives every choice and rating without a hotkey one of its own (a bare digit or
    # letter), so each needs one, and each with a modifier that types no text.
    controls = [el for el in ET.fromstring(config_text(name)).iter() if el.tag in ("Choice", "Rating", "Number", "Label")]
    assert controls
    keys = [el.attrib.get("hotkey", "") for el in controls]
    for key in keys:
        *modifiers, last = key.lower().split("+")
        assert last and "ctrl" in modifiers, f"{key!r} can be typed as text"
    assert len(set(keys)) == len(keys)


def test_the_instructions_say_what_separates_misleading_from_refuted_and_what_the_stars_mean():
    text = instructions_html()
    for words in ("Misleading", "Refuted", "difference from refuted", "Confidence (stars)", "1 a guess", "5 certain",
                  "Label All Tasks", "quarantined"):
        assert words in text, words
    ET.fromstring(f"<div>{text}</div>")  # well-formed


def test_the_context_keeps_its_line_breaks_so_a_heading_does_not_run_into_the_next_sentence():
    from annotation.tasks import context_html

    context = "Wrapping Up\nThe talks ended on Sunday. <Nothing> was signed."
    start = context.index("The talks")
    end = context.index(".") + 1
    assert context_html(context, start, end) == (
        "Wrapping Up<br><mark>The talks ended on Sunday.</mark> &lt;Nothing&gt; was signed."
    )


@pytest.mark.parametrize(
    ("url", "html"),
    [
        ("https://example.org/a?b=1&c=2", 'Ledger · 2025-02-14 · <a href="https://example.org/a?b=1&amp;c=2" target="_blank" '
                                          'rel="noopener noreferrer">https://example.org/a?b=1&amp;c=2</a>'),
        ("javascript:alert(1)", "Ledger · 2025-02-14 · javascript:alert(1)"),
        (None, "Ledger · 2025-02-14"),
    ],
)
def test_the_source_url_is_a_link_only_when_it_is_http(url, html):
    from datetime import datetime

    from annotation.tasks import source_html

    assert source_html({"source": "Ledger", "published_at": datetime(2025, 2, 14), "url": url}) == html


def test_the_data_manager_hides_html_fields_and_ids():
    from annotation.config import data_fields
    from annotation.tasks import hidden_columns

    # quarantine_html: the notice of quarantined answers at the top of the form, written by the land.
    assert data_fields() == ["quarantine_html", "article_title", "source_html", "claim", "context_html", "matches_html"]
    assert hidden_columns(["article_id", *data_fields(), "claim_id"]) == [
        "tasks:data.article_id", "tasks:data.quarantine_html", "tasks:data.source_html", "tasks:data.context_html",
        "tasks:data.matches_html"]
