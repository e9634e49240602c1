"""The annotator is told, in the task, why an answer of theirs was quarantined, and the notice goes
when the fixed answer lands; a 1 MB rationale is quarantined by its length, named by its task.
Against the real Label Studio."""

import pytest

from warehouse.db import connection


@pytest.mark.usefixtures("prefect_server")
def test_a_quarantined_answer_is_told_in_its_task_and_the_notice_goes_when_it_is_fixed(ingested, ls_client, db_path):
    from annotation.results import annotation_result
    from annotation.tasks import QUARANTINE_FIELD
    from flows.land import land_flow
    from flows.push import push_flow
    from tests.conftest import sign_up

    push_flow()
    with connection(db_path, read_only=True) as con:
        (link_task,), (long_task,), (good_task,) = con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 3").fetchall()
    eve = sign_up(ls_client, "eve.notice@desk.example", "eve-reads-her-notices")
    eve_id = eve.sdk.users.whoami().id
    bad_link = eve.annotate(link_task, annotation_result(verdict="supported", confidence=4, evidence=["ftp://example.org/paper"]), user=eve_id)
    too_long = eve.annotate(long_task, annotation_result(verdict="refuted", confidence=3, rationale="Because. " * 120_000), user=eve_id)
    eve.annotate(good_task, annotation_result(verdict="supported", confidence=4, evidence=["see the Kiel aid tracker"]), user=eve_id)

    report = land_flow(resolve=False)
    assert report.quarantined == 2 and report.notices_changed == 2
    assert f"task {long_task}, annotation {too_long}: rationale of 1,079,999 characters, over the 10,000 limit: fails " \
           "rationale_within_limit" in report.quarantine_details
    data = {t: ls_client.sdk.tasks.get(id=t).data for t in (link_task, long_task, good_task)}
    assert "eve.notice@desk.example" in data[link_task][QUARANTINE_FIELD]
    assert "web addresses (https://...)" in data[link_task][QUARANTINE_FIELD] and "ftp://example.org/paper" in data[link_task][QUARANTINE_FIELD]
    assert "shorten the rationale to at most 10,000 characters (it has 1,079,999)" in data[long_task][QUARANTINE_FIELD]
    assert data[good_task][QUARANTINE_FIELD] == ""  # free text is a note: it landed
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT evidence_note FROM labels").fetchall() == [("see the Kiel aid tracker",)]

    # Eve fixes the link; the rationale stays too long.
    eve.sdk.annotations.update(id=bad_link, result=annotation_result(verdict="supported", confidence=4, evidence=["https://example.org/paper"]))
    fixed = land_flow(resolve=False)
    assert fixed.quarantine_resolved == 1 and fixed.notices_changed == 1
    assert ls_client.sdk.tasks.get(id=link_task).data[QUARANTINE_FIELD] == ""
    assert "shorten the rationale" in ls_client.sdk.tasks.get(id=long_task).data[QUARANTINE_FIELD]
    # Nothing changed: nothing is written again.
    assert land_flow(resolve=False).notices_changed == 0
