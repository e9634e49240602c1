"""Translation between claimflow's records and Label Studio's JSON, without a server."""

from datetime import datetime
import json
import os
import stat

import pytest

from annotation.config import claim_controls, config_text
from annotation.errors import ConfigError
from annotation.results import MalformedAnnotation, annotation_result, flatten, parse_time
from annotation.server import LocalServer
from annotation.tasks import claim_task, context_html
from tests.conftest import ROOT

GOLDEN_TASK = json.loads((ROOT / "tests" / "fixtures" / "ls_task_with_annotation.json").read_text())


def test_the_claim_config_has_every_control_claimflow_reads():
    c = claim_controls()
    assert c.verdicts == ("supported", "refuted", "misleading", "not_enough_info", "not_checkable")
    assert (c.verdict.to_name, c.confidence.tag, c.evidence.tag) == ("claim", "Rating", "TextArea")
    assert c.checkworthy.choices == ("check_worthy", "not_check_worthy")


def test_a_config_without_a_verdict_is_refused():
    broken = config_text().replace('name="verdict"', 'name="ruling"')
    with pytest.raises(ConfigError, match="verdict"):
        claim_controls(broken)


def test_context_html_marks_the_claim_and_escapes_everything():
    html = context_html("Before <b>. NATO & allies met. After.", 12, 30)
    assert html == "Before &lt;b&gt;. <mark>NATO &amp; allies met.</mark> After."


ROW = {
    "claim_id": "c1", "article_id": "a1", "article_title": "Title", "source": "Wire", "url": "https://w.org/1",
    "published_at": "2025-02-14 00:00:00", "claim": "NATO has 32 members.", "score": 0.91234, "claim_type": "numeric",
    "context": "Before. NATO has 32 members. After.", "claim_start_in_context": 8, "claim_end_in_context": 28, "scorer": "rules-v1",
}


def test_a_claim_task_carries_its_claim_id_and_the_score_as_a_prediction():
    task = claim_task(ROW, threshold=0.5)
    assert task["data"]["claim_id"] == "c1"
    assert task["data"]["context_html"] == "Before. <mark>NATO has 32 members.</mark> After."
    assert task["data"]["source_line"] == "Wire · 2025-02-14 · https://w.org/1"
    (prediction,) = task["predictions"]
    assert prediction["model_version"] == "rules-v1" and prediction["score"] == 0.9123
    assert prediction["result"][0]["value"] == {"choices": ["check_worthy"]}
    low = claim_task(ROW | {"score": 0.2}, threshold=0.5)
    assert low["predictions"][0]["result"][0]["value"] == {"choices": ["not_check_worthy"]}


def test_the_golden_annotation_flattens_to_its_label_row():
    annotation = GOLDEN_TASK["annotations"][0]
    row = flatten(annotation, claim_id="c1", users={annotation["completed_by"]: "ann2@example.com"})
    assert row["annotation_id"] == annotation["id"] and row["task_id"] == GOLDEN_TASK["id"]
    assert (row["verdict"], row["confidence"], row["rationale"]) == ("supported", 3, "ok")
    assert row["evidence_urls"] == ["https://a.org/x"]
    assert row["annotator"] == "ann2@example.com" and row["lead_time"] == 3.0
    assert row["created_at"].tzinfo is None and not row["was_cancelled"]


def test_annotation_result_round_trips_through_flatten():
    result = annotation_result(verdict="refuted", confidence=5, rationale="Wrong year.", evidence=["https://a.org/1\nhttps://b.org/2"])
    row = flatten({"id": 7, "task": 1, "result": result, "completed_by": 3}, claim_id="c")
    assert (row["verdict"], row["confidence"], row["rationale"]) == ("refuted", 5, "Wrong year.")
    assert row["evidence_urls"] == ["https://a.org/1", "https://b.org/2"]


def test_a_skipped_annotation_has_no_verdict():
    row = flatten({"id": 8, "task": 1, "result": [], "was_cancelled": True}, claim_id="c")
    assert row["verdict"] is None and row["was_cancelled"]


@pytest.mark.parametrize("payload", [["not", "a", "dict"], {"result": []}, {"id": "x"}, {"id": 1, "result": "nope"}])
def test_payloads_that_are_not_annotations_are_refused(payload):
    with pytest.raises(MalformedAnnotation):
        flatten(payload, claim_id="c")


@pytest.mark.parametrize("bad", [{"created_at": "yesterday"}, {"completed_by": "someone"}, {"completed_by": {"id": []}}])
def test_unreadable_times_or_users_make_an_annotation_malformed_not_a_crash(bad):
    with pytest.raises(MalformedAnnotation, match="annotation 9"):
        flatten({"id": 9, "task": 1, "result": []} | bad, claim_id="c")


def test_a_label_studio_url_with_credentials_is_refused(monkeypatch):
    from pydantic import ValidationError

    from flows.settings import get_settings

    monkeypatch.setenv("LABEL_STUDIO_URL", "http://admin:hunter2@ls.example:8080/")
    with pytest.raises(ValidationError, match="must not carry a user or password") as info:
        get_settings()
    assert "hunter2" not in str(info.value).split("input_value")[0]
    monkeypatch.setenv("LABEL_STUDIO_URL", "http://ls.example:8080/")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "a-token")
    assert get_settings().ls_url == "http://ls.example:8080"


def test_local_credentials_are_generated_once_and_readable_by_the_owner_only(tmp_path):
    server = LocalServer(data_dir=tmp_path / "ls", venv=tmp_path / "venv", port=1)
    creds = server.credentials()
    assert stat.S_IMODE(os.stat(server.credentials_file).st_mode) == 0o600
    assert server.credentials() == creds
    assert creds.password not in repr(creds) and creds.token not in repr(creds)
    assert len(creds.token) == 40 and len(creds.password) >= 20


def test_starting_without_the_server_venv_says_how_to_install_it(tmp_path):
    from annotation.errors import ServerStartError

    server = LocalServer(data_dir=tmp_path / "ls", venv=tmp_path / "no-venv", port=1)
    with pytest.raises(ServerStartError, match="make setup"):
        server.start(timeout=1)


def test_a_stale_pid_file_naming_another_program_is_neither_running_nor_stopped(tmp_path):
    server = LocalServer(data_dir=tmp_path / "ls", venv=tmp_path / "venv", port=1)
    server.data_dir.mkdir(parents=True)
    server.pid_file.write_text(str(os.getpid()))  # this pytest process, not Label Studio
    assert server.status().pid is None and not server.status().running
    assert server.stop() is False  # and this process is still here to say so
    assert not server.pid_file.exists()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T09:05:00Z", datetime(2026, 11, 20, 9, 5)),
        ("2026-11-20T09:05:00.123456Z", datetime(2026, 11, 20, 9, 5, 0, 123456)),
        ("2026-11-20T11:05:00+02:00", datetime(2026, 11, 20, 9, 5)),
        ("2026-11-20T09:05:00", datetime(2026, 11, 20, 9, 5)),
    ],
)
def test_label_studio_times_read_as_naive_utc(text, expected):
    assert parse_time(text) == expected


@pytest.mark.parametrize("text", ["Z", "2026-11-20T09:05:00+01:00Z", "yesterday"])
def test_an_unreadable_time_is_a_value_error(text):
    with pytest.raises(ValueError):
        parse_time(text)


def test_a_claim_task_says_in_words_why_each_paired_claim_is_listed():
    from annotation.tasks import matches_html

    negation = [{"cue": "inference", "detail": "inference model: they cannot both be true"},
                {"cue": "negation_mismatch", "detail": "one claim is negated, the other is not"}]
    dates = [{"cue": "different_dates", "detail": "2024 against 2025: perhaps different events"}]
    shown = matches_html([
        {"claim": "Allies did not agree.", "contradiction": 0.81, "similarity": 0.9, "relation": "contradict",
         "reasons": json.dumps(negation)},
        {"claim": "Unity held in 2024.", "contradiction": 0.1, "similarity": 0.7, "relation": "different_event",
         "reasons": json.dumps(dates)},
        {"claim": "Allies agreed.", "contradiction": 0.05, "similarity": 0.92, "relation": "agree", "reasons": "[]"},
        {"claim": "<script>x</script>", "contradiction": 0.35, "similarity": 0.2, "relation": "unrelated", "reasons": None},
    ], may_contradict=0.5)
    assert "may contradict</b>: says otherwise: the inference model finds they cannot both be true; one claim is negated" in shown
    assert "a similar claim about another event (2024 against 2025)" in shown
    assert "the same event, told alike" in shown and "the same story, another point" in shown
    assert "<script>" not in shown and shown.count("may contradict") == 1


def test_a_claim_checked_before_shows_the_fact_check_and_a_strong_match_pre_selects_its_verdict():
    checked = [{"rank": 1, "score": 0.91, "method": "lookup-1", "claim_reviewed": "Bicycles <banned> on the bridge.", "rating": "Four Pinocchios",
                "verdict": "refuted", "publisher": "Example Fact Desk", "reviewed_at": datetime(2026, 11, 3), "url": "https://factdesk.example/b?x=1&y=2"},
               {"rank": 2, "score": 0.55, "method": "lookup-1", "claim_reviewed": "Bridge tolls rise.", "rating": "Falso", "verdict": None,
                "publisher": "Verifica", "reviewed_at": None, "url": "https://verifica.example/t"}]
    task = claim_task(ROW | {"fact_checks": checked}, threshold=0.5)
    html = task["data"]["matches_html"]
    assert html.startswith("<p><b>Checked before:</b></p>")
    assert "<b>Four Pinocchios</b> (refuted): “Bicycles &lt;banned&gt; on the bridge.”" in html
    assert 'href="https://factdesk.example/b?x=1&amp;y=2"' in html and "Example Fact Desk · 2026-11-03" in html and "(match 0.91)" in html
    prediction = task["predictions"][0]
    verdict = next(r for r in prediction["result"] if r["from_name"] == "verdict")
    assert verdict["value"] == {"choices": ["refuted"]}
    assert "verdict from a fact-check (Example Fact Desk: Four Pinocchios; lookup-1 match 0.91)" in prediction["model_version"]
    weak = claim_task(ROW | {"fact_checks": [checked[0] | {"score": 0.6}]}, threshold=0.5)
    assert [r["from_name"] for r in weak["predictions"][0]["result"]] == ["checkworthy"] and "Checked before" in weak["data"]["matches_html"]
    unmapped = claim_task(ROW | {"fact_checks": [checked[1] | {"score": 0.95}]}, threshold=0.5)
    assert len(unmapped["predictions"][0]["result"]) == 1


def test_a_fact_check_with_a_javascript_url_is_shown_without_a_link():
    checked = [{"rank": 1, "score": 0.91, "method": "lookup-1", "claim_reviewed": "Bridge tolls rise.", "rating": "False", "verdict": "refuted",
                "publisher": "Desk <i>", "reviewed_at": None, "url": "javascript:alert(1)"}]
    html = claim_task(ROW | {"fact_checks": checked}, threshold=0.5)["data"]["matches_html"]
    assert "href" not in html and "javascript" not in html and "— Desk &lt;i&gt; (match 0.91)" in html


@pytest.mark.parametrize(("written", "links", "note"), [
    (["see the Kiel aid tracker"], [], "see the Kiel aid tracker"),
    (["https://a.org/1\nhttps://b.org/2"], ["https://a.org/1", "https://b.org/2"], None),
    (["https://a.org/1, https://b.org/2"], ["https://a.org/1", "https://b.org/2"], None),
    (["Kiel tracker: www.ifw-kiel.de/tracker.", "(https://a.org/x_(y))"],
     ["https://www.ifw-kiel.de/tracker", "https://a.org/x_(y)"], "Kiel tracker: www.ifw-kiel.de/tracker."),
    (["<https://a.org/z>", "javascript:alert(1)"], ["https://a.org/z", "javascript:alert(1)"], None),
    (["p. 4 of  the report,\n\n  2024 edition"], [], "p. 4 of the report,\n2024 edition"),
])
def test_evidence_is_read_as_meant_links_as_links_and_free_text_as_one_note(written, links, note):
    """Free text is one note, not one "link" per word; a word written as a link is a link."""
    row = flatten({"id": 1, "completed_by": 2, "result": annotation_result(verdict="supported", evidence=written)}, claim_id="c1")
    assert (row["evidence_urls"], row["evidence_note"]) == (links, note)
