"""Quality gates and resolution against a real Label Studio, Prefect and DuckDB: overlap on the
project, three annotators giving agreement, a tie marked for review where the Data Manager can
filter it, and a batch with too much bad input failing the flow without losing a row."""

import json

import pytest

from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")


def pushed_tasks(db_path, n):
    with connection(db_path, read_only=True) as con:
        return con.execute("SELECT claim_id, task_id FROM tasks ORDER BY task_id LIMIT ?", [n]).fetchall()


def published_counts() -> dict:
    """The counts of the latest land, from its Prefect artifact."""
    import httpx
    from prefect.settings import PREFECT_API_URL

    # The REST API directly: Prefect 3.8.8's client sends filters its own server refuses.
    query = {"artifacts": {"key": {"any_": ["land-counts"]}}, "limit": 1, "offset": 0, "sort": "CREATED_DESC"}
    (artifact,) = httpx.post(f"{PREFECT_API_URL.value()}/artifacts/filter", json=query).raise_for_status().json()
    table = json.loads(artifact["data"])
    return {row["count"]: row["value"] for row in table}


def people(ls_client, *emails):
    return [ls_client.ensure_user(e) for e in emails]


def test_annotators_give_verdicts_agreement_and_a_tie_is_marked_for_review(ingested, ls_client, db_path):
    from annotation.results import annotation_result
    from flows.land import land_flow
    from flows.push import push_flow

    pushed = push_flow()
    project = ls_client.sdk.projects.get(id=pushed.project_id)
    assert (project.maximum_annotations, project.overlap_cohort_percentage) == (2, 100)  # CLAIMFLOW_OVERLAP's default

    (agreed_claim, agreed), (tied_claim, tied), (open_claim, single), (third_claim, third) = pushed_tasks(db_path, 4)
    ana, ben, cleo = people(ls_client, "ana@desk.example", "ben@desk.example", "cleo@desk.example")
    for task, user, verdict in [
        (agreed, ana, "supported"), (agreed, ben, "supported"),
        (tied, ana, "supported"), (tied, ben, "refuted"),
        (single, ana, "not_checkable"),
        (third, ana, "refuted"), (third, ben, "refuted"), (third, cleo, "misleading"),
    ]:
        ls_client.annotate(task, annotation_result(verdict=verdict, confidence=3), user=user, lead_time=10.0)

    report = land_flow()
    assert report.labels_new == 8 and report.quarantined == 0
    assert published_counts()["labels_new"] == 8  # the land's Prefect table artifact
    assert not land_flow(resolve=False).did_something
    assert published_counts()["labels_new"] == 8  # a land that found nothing to do publishes no zeros over it
    assert (report.verdicts.resolved, report.verdicts.needs_review, report.verdicts.open) == (2, 1, 1)
    assert report.verdicts.marks_changed == 1
    with connection(db_path, read_only=True) as con:
        status = dict(con.execute("SELECT claim_id, status || ':' || coalesce(verdict, '-') FROM claim_status").fetchall())
        alpha = con.execute("SELECT alpha, n_claims FROM agreement WHERE scope = 'project'").fetchone()
        stats = {r[0]: r[1:] for r in con.execute(
            "SELECT annotator, labels, median_lead_time_s, agreement_with_verdict FROM annotator_agreement").fetchall()}
    assert status[agreed_claim] == "resolved:supported"
    assert status[tied_claim] == "needs_review:-"
    assert status[open_claim] == "open:-"
    assert status[third_claim] == "resolved:refuted"
    assert alpha[1] == 3 and -1 <= alpha[0] < 1
    assert stats["ana@desk.example"] == (4, 10.0, 1.0) and stats["cleo@desk.example"] == (1, 10.0, 0.0)

    # The reviewer finds the tie with a Data Manager filter on the task's data.review.
    assert ls_client.sdk.tasks.get(id=str(tied)).data["review"] == "needs_review"
    needs_review = {"filters": {"conjunction": "and", "items": [
        {"filter": "filter:tasks:data.review", "operator": "equal", "type": "String", "value": "needs_review"}]}}
    found = ls_client.sdk.tasks.list(project=pushed.project_id, query=json.dumps(needs_review))
    assert [t.id for t in found] == [tied]

    # Cleo breaks the tie: the claim resolves and its mark is cleared.
    ls_client.annotate(tied, annotation_result(verdict="refuted", confidence=4), user=cleo)
    again = land_flow()
    assert (again.labels_new, again.verdicts.needs_review, again.verdicts.marks_changed) == (1, 0, 1)
    assert ls_client.sdk.tasks.get(id=str(tied)).data["review"] == ""


def test_too_much_bad_input_fails_the_land_keeps_every_row_and_a_fix_lands_later(ingested, ls_client, db_path, monkeypatch):
    from annotation.results import annotation_result
    from flows.errors import QuarantineLimitExceeded
    from flows.land import land_flow
    from flows.push import push_flow

    push_flow()
    (_, good_task), (_, bad_task), (_, worse_task) = pushed_tasks(db_path, 3)
    from tests.conftest import sign_up

    dora_herself = sign_up(ls_client, "dora.fixes@desk.example", "dora-fixes-her-labels")  # she fixes her own below
    dora = dora_herself.sdk.users.whoami().id
    ls_client.annotate(good_task, annotation_result(verdict="supported", confidence=4), user=dora)
    bad = ls_client.annotate(bad_task, annotation_result(verdict="probably_true", confidence=4), user=dora)
    worse = ls_client.annotate(worse_task, annotation_result(verdict="refuted", confidence=9, evidence=["javascript:notes()"]), user=dora)

    monkeypatch.setenv("CLAIMFLOW_MAX_QUARANTINE_SHARE", "0.5")
    monkeypatch.setenv("CLAIMFLOW_QUARANTINE_MIN_ROWS", "2")  # two bad rows are enough here
    with pytest.raises(QuarantineLimitExceeded, match="2 of 3 claim annotations"):
        land_flow()
    with connection(db_path, read_only=True) as con:
        labels = con.execute("SELECT count(*) FROM labels").fetchone()[0]
        reasons = dict(con.execute("SELECT annotation_id, reasons FROM labels_quarantine").fetchall())
        raw = con.execute("SELECT count(*) FROM annotations_raw").fetchone()[0]
        run = con.execute("SELECT status FROM runs WHERE flow = 'land'").fetchone()[0]
    assert (labels, raw, run) == (1, 3, "failed")
    assert reasons == {bad: ["verdict_allowed"], worse: ["confidence_in_range", "evidence_urls_well_formed"]}

    dora_herself.sdk.annotations.update(id=bad, result=annotation_result(verdict="misleading", confidence=4))
    dora_herself.sdk.annotations.update(id=worse, result=annotation_result(verdict="refuted", confidence=5, evidence=["https://example.org/x"]))
    fixed = land_flow()
    assert (fixed.labels_new, fixed.quarantined, fixed.quarantine_resolved) == (2, 0, 2)
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM labels_quarantine WHERE resolved_at IS NULL").fetchone()[0] == 0
