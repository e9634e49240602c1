"""Claim pairs as Label Studio tasks and pair annotations as label rows (annotation/pairs.py)."""

import json
from datetime import datetime

import pytest

from annotation.config import pair_controls
from annotation.pairs import flatten_pair, pair_result, pair_task
from annotation.results import MalformedAnnotation

ROW = {
    "pair_id": "p1", "similarity": 0.81234, "contradiction": 0.7, "relation": "contradict", "matcher": "matcher-test",
    "reasons": json.dumps([{"cue": "antonym", "detail": "unity against divides (unity / division)", "score": "contradiction"},
                           {"cue": "date_unconfirmed", "detail": "one claim speaks of 2024", "score": "similarity"}]),
    "a_claim_id": "a", "a_claim": "Unity held.", "a_context": "At MSC. Unity held. Then <b>dinner</b>.", "a_start": 8, "a_end": 19,
    "a_title": "Russia falls short", "a_source": "Wire A", "a_url": "https://a.example/x?y=1&z=2", "a_published_at": datetime(2024, 2, 18),
    "b_claim_id": "b", "b_claim": "Divides showed.", "b_context": "Divides showed.", "b_start": 0, "b_end": 15,
    "b_title": None, "b_source": None, "b_url": None, "b_published_at": None,
}


def test_a_pair_task_shows_both_claims_side_by_side_with_their_sources_and_the_model_relation():
    task = pair_task(ROW)
    data = task["data"]
    assert data["pair_id"] == "p1" and data["claim_a"] == "Unity held." and data["claim_b"] == "Divides showed."
    assert data["a_context_html"] == "At MSC. <mark>Unity held.</mark> Then &lt;b&gt;dinner&lt;/b&gt;."
    assert data["a_source_html"].startswith("Wire A · 2024-02-18 · <a href=\"https://a.example/x?y=1&amp;z=2\"")
    assert data["b_title"] == "(untitled article)" and data["b_source_html"] == "source unknown"
    assert "opposite words" in data["reasons_html"] and "date only on one side" in data["reasons_html"]
    assert "may contradict <b>0.70</b>" in data["reasons_html"]
    prediction = task["predictions"][0]
    assert prediction["model_version"] == "matcher-test"
    assert prediction["result"][0]["value"] == {"choices": ["contradict"]}
    assert prediction["result"][0]["from_name"] == pair_controls().relation.name


def test_the_relation_choices_store_the_stable_names_and_show_words():
    assert pair_controls().relations == ("agree", "contradict", "unrelated", "different_event")


def annotation(**overrides):
    base = {"id": 7, "task": 3, "project": 2, "completed_by": 5, "result": pair_result(relation="agree", rationale="Same."),
            "created_at": "2026-11-30T10:00:00.000000Z", "updated_at": "2026-11-30T10:01:00.000000Z", "lead_time": 4.5,
            "was_cancelled": False}
    return base | overrides


def test_a_pair_annotation_flattens_to_one_label_row():
    row = flatten_pair(annotation(), pair_id="p1", users={5: "ana@desk.example"}, task_id=3, project_id=2)
    assert row == {
        "annotation_id": 7, "task_id": 3, "project_id": 2, "pair_id": "p1", "annotator_id": 5, "annotator": "ana@desk.example",
        "relation": "agree", "rationale": "Same.", "lead_time": 4.5,
        "created_at": datetime(2026, 11, 30, 10, 0), "updated_at": datetime(2026, 11, 30, 10, 1), "was_cancelled": False,
        "updated_by_id": None, "updated_by": None, "edited_by_id": None,
    }


def test_a_pair_annotation_changed_by_someone_else_names_the_editor_and_fails_its_suite():
    from expectations.gate import validate
    from expectations.labels import PAIR_GATE, label_frame

    edited = annotation(updated_by=9, updated_at="2026-11-30T11:00:00.000000Z")
    row = flatten_pair(edited, pair_id="p1", users={5: "ana@desk.example", 9: "ben@desk.example"})
    assert (row["updated_by"], row["edited_by_id"]) == ("ben@desk.example", 9)
    outcome = validate(PAIR_GATE.suite, label_frame([row], PAIR_GATE.columns), now=datetime(2026, 12, 1))
    assert outcome.failures == {0: ["edited_only_by_author"]}


def test_a_skipped_pair_annotation_has_no_relation_and_two_relations_are_kept_for_the_suite():
    assert flatten_pair(annotation(result=[], was_cancelled=True), pair_id="p1")["relation"] is None
    two = annotation(result=[{"from_name": "relation", "to_name": "claim_a", "type": "choices",
                              "value": {"choices": ["agree", "contradict"]}}])
    assert flatten_pair(two, pair_id="p1")["relation"] == "agree,contradict"


@pytest.mark.parametrize("payload, message", [
    ([1, 2], "expected an annotation object"),
    ({"id": "7"}, "no integer 'id'"),
    ({"id": 7, "result": "agree"}, "'result' is not a list"),
])
def test_a_payload_that_is_not_a_pair_annotation_is_malformed(payload, message):
    with pytest.raises(MalformedAnnotation, match=message):
        flatten_pair(payload, pair_id="p1")


def test_the_pair_labels_suite_fails_bad_relations_by_name():
    from expectations.gate import validate
    from expectations.labels import PAIR_GATE, label_frame

    rows = [flatten_pair(annotation(id=n, completed_by=n, result=pair_result(relation=r)), pair_id=f"p{n}")
            for n, r in enumerate(["agree", "maybe", None, "different_event"], start=1)]
    outcome = validate(PAIR_GATE.suite, label_frame(rows, PAIR_GATE.columns), now=datetime(2026, 12, 1))
    assert outcome.failures == {1: ["relation_allowed"], 2: ["relation_present"]}


@pytest.mark.parametrize("url", ["javascript:alert(1)", " JavaScript:alert(1)", "java\tscript:alert(1)", "data:text/html,<b>x</b>"])
def test_a_pair_task_links_only_http_sources_and_shows_any_other_url_as_text(url):
    data = pair_task(ROW | {"a_url": url})["data"]
    assert "<a " not in data["a_source_html"] and "href" not in data["a_source_html"]
    assert data["a_source_html"].startswith("Wire A · 2024-02-18 · ") and "<b>" not in data["a_source_html"]
