"""The quality gate on a real DuckDB file and Great Expectations: a batch mixing good and bad
annotations, as Label Studio's export gives them, goes through the land task; every bad row is
quarantined with its reasons, every good row lands, and nothing pulled is lost."""

import copy
import json
from datetime import datetime

import pandas as pd
import pytest

from annotation.results import annotation_result
from warehouse.db import connection

URL = "http://127.0.0.1:9"  # never contacted: the land task only reads and writes DuckDB
PROJECT = 7
CLAIMS = ["c1", "c2", "c3", "c4"]
TASKS = {101: "c1", 102: "c2", 103: "c3"}  # c4 has no task; task 199 is not claimflow's


def seed_warehouse(db_path):
    at = datetime(2026, 11, 1)
    with connection(db_path) as con:
        con.execute(
            "INSERT INTO articles (article_id, text, n_chars, n_words, ingested_at) VALUES ('a1', 'Some text here.', 15, 3, ?)", [at]
        )
        for i, c in enumerate(CLAIMS):
            con.execute(
                "INSERT INTO claims (claim_id, article_id, seq, start_char, end_char, text, block_kind, score, claim_type,"
                " context_start, context_end, scorer, model, extracted_at) VALUES (?, 'a1', ?, 0, 4, 'Some', 'paragraph',"
                " 0.9, 'statement', 0, 15, 'rules-v1', 'test', ?)", [c, i, at],
            )
        for task_id, claim in TASKS.items():
            con.execute(
                "INSERT INTO tasks (ls_url, project_id, claim_id, task_id, pushed_at) VALUES (?, ?, ?, ?, ?)",
                [URL, PROJECT, claim, task_id, at],
            )


def annotation(aid, *, user, verdict="supported", confidence=4, evidence=None, updated="2026-11-20T10:00:00Z", check_worthy=None,
               **extra):
    return {
        "id": aid, "completed_by": user,
        "result": annotation_result(verdict=verdict, confidence=confidence, evidence=evidence, check_worthy=check_worthy),
        "lead_time": 8.0, "created_at": "2026-11-20T09:59:00Z", "updated_at": updated, "was_cancelled": False, **extra,
    }


def task(task_id, annotations, updated="2026-11-20T10:00:00Z"):
    return {"id": task_id, "updated_at": updated, "data": {"claim_id": TASKS.get(task_id, "c3")}, "annotations": annotations}


BAD = {
    2: ["verdict_allowed"],                      # an unknown verdict
    3: ["verdict_present"],                      # no verdict
    4: ["confidence_in_range"],                  # confidence out of range
    5: ["evidence_urls_well_formed"],            # a link, but not an http(s) one
    6: ["annotation_id_unique"],                 # the same annotation id twice (both rows)
    8: ["task_known"],                           # a task the warehouse does not know
    10: ["confidence_is_integer"],               # "high" is not a rating
}


def mixed_batch():
    bad_confidence = annotation(10, user=7)
    bad_confidence["result"][1]["value"]["rating"] = "high"
    return [
        task(101, [
            annotation(1, user=1),
            annotation(2, user=2, verdict="probably_true"),
            annotation(3, user=3, verdict=None),
            annotation(4, user=4, confidence=9),
            annotation(5, user=5, evidence=["ftp://example.org/report"]),
            annotation(11, user=6, verdict="refuted", evidence=["https://example.org/report"]),
        ]),
        task(102, [annotation(6, user=1), annotation(6, user=2), annotation(9, user=3, verdict="misleading"), bad_confidence]),
        task(199, [annotation(8, user=9)]),
        task(103, [annotation(12, user=1, verdict="not_checkable"), "not an annotation", {"id": 13, "result": "oops"}]),
    ]


@pytest.fixture
def warehouse(db_path):
    seed_warehouse(db_path)
    return db_path


def land(db_path, tasks, run_id="run-1"):
    from flows.land import land_annotations

    return land_annotations.fn(URL, str(db_path), PROJECT, tasks, {1: "ana@x.org"}, datetime(2026, 11, 20, 11), run_id)


def test_every_bad_row_is_quarantined_with_its_reasons_and_every_good_row_lands(warehouse):
    counts = land(warehouse, mixed_batch())
    with connection(warehouse, read_only=True) as con:
        landed = sorted(r[0] for r in con.execute("SELECT annotation_id FROM labels").fetchall())
        quarantined = con.execute(
            "SELECT annotation_id, reasons, run_id, label_row, payload FROM labels_quarantine ORDER BY annotation_id NULLS LAST, payload"
        ).fetchall()
        raw = con.execute("SELECT count(*) FROM annotations_raw").fetchone()[0]
    assert landed == [1, 9, 11, 12]
    by_id: dict = {}
    for aid, reasons, run_id, row, payload in quarantined:
        assert run_id == "run-1" and json.loads(payload) is not None
        by_id.setdefault(aid, []).append(reasons)
    for aid, reasons in BAD.items():
        assert all(set(reasons) <= set(r) for r in by_id[aid]), (aid, by_id[aid])
    assert len(by_id[6]) == 2  # both copies of the duplicated id
    unreadable = by_id[None] + by_id[13]
    assert len(unreadable) == 2 and all(r[0].startswith("payload_shape") for r in unreadable)
    # Nothing pulled is lost: every payload is raw, and each is either a label or quarantined.
    assert raw == 14 == len(landed) + len(quarantined)
    assert counts["quarantined"] == 10 and counts["validated"] == 14
    assert counts["failed_expectations"]["verdict_allowed"] == 1 and counts["failed_expectations"]["payload_shape"] == 2


def test_a_second_land_of_the_same_batch_adds_no_row(warehouse):
    land(warehouse, mixed_batch())
    land(warehouse, mixed_batch(), run_id="run-2")
    with connection(warehouse, read_only=True) as con:
        counts = con.execute(
            "SELECT (SELECT count(*) FROM labels), (SELECT count(*) FROM labels_quarantine), (SELECT count(*) FROM annotations_raw)"
        ).fetchone()
    assert counts == (4, 10, 14)


def test_a_quarantined_annotation_fixed_in_label_studio_lands_later(warehouse):
    land(warehouse, mixed_batch())
    fixed = copy.deepcopy(mixed_batch())
    fixed[0]["updated_at"] = "2026-11-20T12:00:00Z"
    fixed[0]["annotations"][1] = annotation(2, user=2, verdict="misleading", updated="2026-11-20T12:00:00Z")
    counts = land(warehouse, fixed, run_id="run-2")
    assert (counts["labels_new"], counts["quarantine_resolved"], counts["raw"]) == (1, 1, 1)
    with connection(warehouse, read_only=True) as con:
        verdict = con.execute("SELECT verdict FROM labels WHERE annotation_id = 2").fetchone()[0]
        resolved = con.execute("SELECT resolved_at IS NOT NULL FROM labels_quarantine WHERE annotation_id = 2").fetchone()[0]
    assert verdict == "misleading" and resolved


def test_a_second_label_by_the_same_annotator_for_a_claim_is_quarantined(warehouse):
    land(warehouse, [task(101, [annotation(1, user=1)])])
    counts = land(warehouse, [task(101, [annotation(1, user=1), annotation(20, user=1)], updated="2026-11-20T13:00:00Z")], "run-2")
    assert counts["failed_expectations"] == {"one_label_per_claim_and_annotator": 1}


def test_of_duplicates_by_one_annotator_in_one_batch_the_latest_lands_and_the_others_are_quarantined(warehouse):
    batch = [task(101, [
        annotation(31, user=1, verdict="supported", updated="2026-11-20T10:00:00Z"),
        annotation(33, user=1, verdict="misleading", updated="2026-11-20T10:05:00Z"),  # the latest
        annotation(32, user=1, verdict="refuted", updated="2026-11-20T10:01:00Z"),
        annotation(34, user=2, verdict="refuted"),  # another annotator: not a duplicate
    ])]
    counts = land(warehouse, batch)
    assert counts["failed_expectations"] == {"one_label_per_claim_and_annotator": 2}
    with connection(warehouse, read_only=True) as con:
        landed = con.execute("SELECT annotation_id, verdict FROM labels ORDER BY 1").fetchall()
        quarantined = con.execute("SELECT annotation_id, reasons FROM labels_quarantine ORDER BY 1").fetchall()
    assert landed == [(33, "misleading"), (34, "refuted")]
    assert quarantined == [(31, ["one_label_per_claim_and_annotator"]), (32, ["one_label_per_claim_and_annotator"])]

    # Pulled again with a newer duplicate, the one already landed keeps its place.
    again = batch[0]["annotations"] + [annotation(35, user=1, verdict="supported", updated="2026-11-20T11:00:00Z")]
    land(warehouse, [task(101, again, updated="2026-11-20T11:00:00Z")], "run-2")
    with connection(warehouse, read_only=True) as con:
        assert con.execute("SELECT annotation_id FROM labels WHERE annotator_id = 1").fetchall() == [(33,)]
        assert 35 in [r[0] for r in con.execute("SELECT annotation_id FROM labels_quarantine").fetchall()]


def test_timestamps_in_the_future_or_out_of_order_fail():
    from expectations.gate import validate
    from expectations.labels import label_frame

    rows = [
        {"annotation_id": 1, "task_id": 1, "claim_id": "c", "annotator_id": 1, "verdict": "supported", "was_cancelled": False,
         "created_at": datetime(2026, 1, 2), "updated_at": datetime(2026, 1, 1)},
        {"annotation_id": 2, "task_id": 1, "claim_id": "d", "annotator_id": 1, "verdict": "supported", "was_cancelled": False,
         "created_at": datetime(2099, 1, 1), "updated_at": datetime(2099, 1, 1)},
        {"annotation_id": 3, "task_id": 1, "claim_id": "e", "annotator_id": 1, "verdict": None, "was_cancelled": True,
         "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1)},
    ]
    result = validate("labels", label_frame(rows), now=datetime(2026, 11, 21))
    assert result.failures == {0: ["updated_not_before_created"], 1: ["created_at_sane", "updated_at_sane"]}


def _label(aid, **values):
    row = {"annotation_id": aid, "task_id": 1, "project_id": 7, "claim_id": f"c{aid}", "annotator_id": 1,
           "verdict": "supported", "confidence": 3, "lead_time": 2.5, "evidence_urls": ["https://example.org/a"],
           "created_at": datetime(2026, 1, 1), "updated_at": datetime(2026, 1, 1), "was_cancelled": False}
    return row | values


@pytest.mark.parametrize(("batch", "objects"), [
    # Values of one type per column (typed columns): bad values of the right type, missing ones.
    ([_label(1), _label(2, verdict="probably"), _label(3, confidence=9), _label(4, confidence=None, lead_time=None),
     _label(4), _label(6, annotator_id=None), _label(7, annotator_id=0), _label(8, evidence_urls=["not a url"]),
     _label(9, verdict=None), _label(10, claim_id=None), _label(11, lead_time=-1)], 0),
    # Values of the wrong type among them (object columns, checked value by value).
    ([_label(1), _label(2, confidence="high"), _label(3, confidence=True), _label(4, lead_time="slow"),
     _label(5, verdict=5), _label(6, task_id="6"), _label(7, task_id=2**70), _label(8, claim_id=8),
     _label(9, annotator_id=False), _label(10, lead_time=float("nan"), confidence=float("nan"))], 6),
])
def test_typed_columns_fail_the_same_rows_as_values_checked_one_by_one(batch, objects, monkeypatch):
    """label_frame builds typed columns where it can (much faster to validate); a frame of the
    same values as they came fails exactly the same rows for the same expectations."""
    import expectations.labels as labels
    from expectations.gate import validate

    frame = labels.label_frame(batch)
    typed = validate("labels", frame, now=datetime(2026, 11, 21))
    monkeypatch.setattr(labels, "_column", lambda values, kind: labels._plain_series(values))
    plain = labels.label_frame(batch)
    kinds = [c for c in labels._KINDS if c in frame]  # _KINDS covers the pair frame's columns too
    assert all(plain[c].dtype == object for c in kinds)
    assert sum(frame[c].dtype == object for c in kinds) == objects
    assert typed.failures and typed.failures == validate("labels", plain, now=datetime(2026, 11, 21)).failures


def test_whitespace_inside_an_evidence_link_fails_it():
    """The evidence pattern knows only spaces: label_frame splits links at any whitespace, so a
    tab or a no-break space inside a link leaves a part that is not a URL."""
    from expectations.gate import validate
    from expectations.labels import label_frame

    batch = [_label(1, evidence_urls=["https://a.org/x", "https://b.org/y?q=1"]), _label(2, evidence_urls=["https://a.org\tjunk"]),
             _label(3, evidence_urls=["https://a.org/x\u00a0y"]), _label(4, evidence_urls=[" https://a.org/x\n"])]
    result = validate("labels", label_frame(batch), now=datetime(2026, 11, 21))
    assert result.failures == {1: ["evidence_urls_well_formed"], 2: ["evidence_urls_well_formed"]}


def test_every_suite_in_the_file_context_loads_and_names_its_expectations():
    import great_expectations as gx

    from expectations.gate import expectation_names, suite_names, suites_dir

    assert suite_names() == ["claims", "labels", "pair_labels", "verdicts"]
    context = gx.get_context(mode="file", project_root_dir=str(suites_dir().parent.parent))
    for name in suite_names():
        names = expectation_names(name)
        assert len(names) == len(set(names)) > 3
        assert len(context.suites.get(name).expectations) == len(names)


def test_an_article_with_a_claim_failing_the_claims_suite_fails_alone(sample_extractions):
    import dataclasses

    from claims.extract import Extraction
    from flows.ingest import validate

    broken, *others = [Extraction(ex.article, list(ex.claims), ex.sentences) for ex in sample_extractions]
    bad = dataclasses.replace(broken.claims[1], claim_type="rumour")
    broken.claims[1] = bad
    good, failures = validate.fn([broken, *others])
    assert [ex.article.article_id for ex in good] == [ex.article.article_id for ex in others]
    assert len(failures) == 1 and failures[0]["path"] == broken.article.source_path
    assert f"claim {bad.claim_id}: claim_type_known" in failures[0]["reason"]


def test_export_training_writes_resolved_claims_as_yes_and_not_checkable_as_no(warehouse, tmp_path):
    from typer.testing import CliRunner

    from annotation.agreement import ResolvePolicy
    from flows.cli import app
    from flows.resolve import compute
    from training.data import read_tsv

    land(warehouse, [
        task(101, [annotation(1, user=1, verdict="refuted"), annotation(2, user=2, verdict="refuted")]),
        task(102, [annotation(3, user=1, verdict="not_checkable"), annotation(4, user=2, verdict="not_checkable")]),
        task(103, [annotation(5, user=1, verdict="supported")]),  # open: one annotation
    ])
    compute.fn(str(warehouse), ResolvePolicy(overlap=2), "run-r")
    out = tmp_path / "judged.tsv"
    result = CliRunner().invoke(app, ["export-training", "--db", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [(sid, label) for sid, _, label in read_tsv(out)] == [("c1", "Yes"), ("c2", "No")]


def test_export_training_takes_the_annotators_check_worthy_answers_before_the_verdict(warehouse, tmp_path):
    from typer.testing import CliRunner

    from annotation.agreement import ResolvePolicy
    from flows.cli import app
    from flows.resolve import compute
    from training.data import read_tsv

    land(warehouse, [
        # Resolved "refuted", but both annotators say it is not worth checking: No.
        task(101, [annotation(1, user=1, verdict="refuted", check_worthy=False),
                   annotation(2, user=2, verdict="refuted", check_worthy=False)]),
        # Answers split evenly: no row, whatever the verdict.
        task(102, [annotation(3, user=1, verdict="supported", check_worthy=True),
                   annotation(4, user=2, verdict="supported", check_worthy=False)]),
        # Open (one annotation), but answered: Yes.
        task(103, [annotation(5, user=1, verdict="not_checkable", check_worthy=True)]),
    ])
    with connection(warehouse, read_only=True) as con:
        assert con.execute("SELECT annotation_id, check_worthy FROM labels ORDER BY 1").fetchall() == [
            (1, False), (2, False), (3, True), (4, False), (5, True)]
    compute.fn(str(warehouse), ResolvePolicy(overlap=2), "run-r")
    out = tmp_path / "judged.tsv"
    result = CliRunner().invoke(app, ["export-training", "--db", str(warehouse), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [(sid, label) for sid, _, label in read_tsv(out)] == [("c1", "No"), ("c3", "Yes")]


def test_skipped_and_unrated_annotations_do_not_spoil_the_rated_ones(warehouse):
    skipped = {"id": 31, "completed_by": 3, "result": [], "was_cancelled": True, "lead_time": 2.0,
               "created_at": "2026-11-20T09:59:00Z", "updated_at": "2026-11-20T10:00:00Z"}
    counts = land(warehouse, [task(101, [annotation(30, user=1), skipped, annotation(32, user=2, confidence=None)])])
    assert (counts["labels_new"], counts["quarantined"]) == (3, 0), counts["failed_expectations"]


def test_odd_values_are_quarantined_not_crashing_the_land(warehouse):
    cases = [annotation(40, user=1), annotation(41, user=2), annotation(42, user=3), annotation(2**40, user=4),
             annotation(44, user=5) | {"was_cancelled": "false"}, annotation(45, user=6) | {"lead_time": 10**400}]
    cases[1]["result"][1]["value"]["rating"] = True
    cases[2]["lead_time"] = True
    counts = land(warehouse, [task(101, cases)])
    with connection(warehouse, read_only=True) as con:
        reasons = dict(con.execute("SELECT annotation_id, reasons FROM labels_quarantine").fetchall())
        raw = con.execute("SELECT count(*) FROM annotations_raw").fetchone()[0]
    assert counts["labels_new"] == 1 and raw == 6
    assert reasons[41] == ["confidence_is_integer"] and reasons[42] == ["lead_time_is_number"]
    assert reasons[44] == ["payload_shape"]
    assert reasons[45] == ["lead_time_in_range"] and reasons[None] == ["annotation_id_in_range"]
    assert counts["quarantined"] == 5


def test_a_task_redone_after_a_delete_lands_and_a_stuck_row_is_validated_again(warehouse):
    land(warehouse, [task(101, [annotation(1, user=1)])])
    # In Label Studio: annotation 1 deleted, the same person annotates again (annotation 20).
    counts = land(warehouse, [task(101, [annotation(20, user=1, verdict="refuted")], updated="2026-11-20T13:00:00Z")], "run-2")
    assert (counts["labels_new"], counts["labels_deleted"], counts["quarantined"]) == (1, 1, 0), counts["failed_expectations"]

    # A row quarantined for a reason that later goes away (its task unknown, then pushed) lands
    # when its task next changes, without being stored raw twice.
    def unknown_task(annotations, updated):
        return {"id": 199, "updated_at": updated, "data": {"claim_id": "c4"}, "annotations": annotations}

    land(warehouse, [unknown_task([annotation(50, user=1)], "2026-11-20T10:00:00Z")], "run-3")
    with connection(warehouse) as con:
        con.execute("INSERT INTO tasks (ls_url, project_id, claim_id, task_id, pushed_at) VALUES (?, ?, 'c4', 199, now())",
                    [URL, PROJECT])
    counts = land(warehouse, [unknown_task([annotation(50, user=1), annotation(51, user=2)], "2026-11-20T14:00:00Z")], "run-4")
    assert (counts["labels_new"], counts["quarantine_resolved"], counts["raw"]) == (2, 1, 1)


def test_free_text_evidence_lands_as_a_note_and_links_of_other_schemes_still_fail():
    from annotation.results import annotation_result, flatten
    from expectations.gate import validate
    from expectations.labels import label_frame

    def row(aid, evidence):
        payload = {"id": aid, "completed_by": 1, "created_at": "2026-01-01T00:00:00Z", "updated_at": "2026-01-01T00:00:00Z",
                   "result": annotation_result(verdict="supported", confidence=3, evidence=evidence)}
        return flatten(payload, claim_id=f"c{aid}", task_id=1, project_id=7)

    batch = [row(1, ["see the Kiel aid tracker"]), row(2, ["see https://ifw-kiel.de/tracker"]), row(3, ["ftp://a.org/x"]),
             row(4, ["see the tracker javascript:alert(1)"])]
    result = validate("labels", label_frame(batch), now=datetime(2026, 11, 21))
    assert result.failures == {2: ["evidence_urls_well_formed"], 3: ["evidence_urls_well_formed"]}


@pytest.mark.parametrize("suite", ["labels", "pair_labels"])
def test_a_rationale_over_the_limit_fails_and_its_message_gives_its_length_not_its_text(suite):
    from expectations.gate import validate
    from expectations.labels import CLAIM_GATE, PAIR_GATE, describe_failure, label_frame

    gate = CLAIM_GATE if suite == "labels" else PAIR_GATE
    base = _label(1) if suite == "labels" else {k: v for k, v in _label(1).items() if k not in ("claim_id", "verdict", "confidence", "evidence_urls")} | {"pair_id": "p1", "relation": "contradict"}
    batch = [base | {"annotation_id": 1, "rationale": "x" * 10_000}, base | {"annotation_id": 2, "rationale": "Because. " * 125_000}]
    result = validate(suite, label_frame(batch, gate.columns), now=datetime(2026, 11, 21))
    assert result.failures == {1: ["rationale_within_limit"]}
    line = describe_failure(batch[1], result.failures[1], gate=gate)
    assert line == "task 1, annotation 2: rationale of 1,125,000 characters, over the 10,000 limit: fails rationale_within_limit"


def test_evidence_over_the_limit_fails_counting_links_and_note():
    from expectations.gate import validate
    from expectations.labels import describe_failure, label_frame

    batch = [_label(1, evidence_note="n" * 4_000), _label(2, evidence_urls=["https://a.org/" + "p" * 3_000], evidence_note="n" * 2_000)]
    result = validate("labels", label_frame(batch), now=datetime(2026, 11, 21))
    assert result.failures == {1: ["evidence_within_limit"]}
    assert describe_failure(batch[1], result.failures[1]).endswith("evidence of 5,014 characters, over the 5,000 limit: fails evidence_within_limit")
