"""A verdict is never stored under the wrong person, against the real Label Studio: a second
annotator who signed up through the invite link edits the first one's annotation with their own
account, and the land quarantines it; annotations created through the API for annotators land
under their names."""

import pytest

from tests.conftest import sign_up
from warehouse.db import connection


@pytest.mark.usefixtures("prefect_server")
def test_a_second_annotator_editing_the_first_ones_annotation_is_quarantined_not_attributed(ingested, ls_client, db_path):
    from annotation.results import annotation_result
    from flows.land import land_flow
    from flows.push import push_flow

    push_flow()
    with connection(db_path, read_only=True) as con:
        (task_id,) = con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 1").fetchone()
    ana = sign_up(ls_client, "ana.attribution@desk.example", "ana-annotates-claims")
    bo = sign_up(ls_client, "bo.attribution@desk.example", "bo-annotates-claims")
    ana_id, bo_id = ana.sdk.users.whoami().id, bo.sdk.users.whoami().id
    first = ana.annotate(task_id, annotation_result(verdict="supported", confidence=4), user=ana_id)
    report = land_flow()
    assert (report.labels_new, report.quarantined) == (1, 0)

    # Bo opens Ana's annotation, changes the verdict and clicks Update, with his own account.
    import time

    time.sleep(1.5)  # a person's edit comes well after the creation
    bo.sdk.annotations.update(id=first, result=annotation_result(verdict="refuted", confidence=5))
    assert ls_client.sdk.annotations.get(id=first).updated_by == bo_id
    edited = land_flow()
    assert (edited.labels_updated, edited.quarantined) == (0, 1)
    assert edited.quarantine_details == [
        f"task {task_id}, annotation {first}: last changed by bo.attribution@desk.example (user {bo_id}), "
        f"not by its author ana.attribution@desk.example (user {ana_id}): fails edited_only_by_author"
    ]
    with connection(db_path, read_only=True) as con:
        label = con.execute("SELECT annotator, verdict, updated_by FROM labels WHERE annotation_id = ?", [first]).fetchone()
        reasons = con.execute("SELECT reasons FROM labels_quarantine WHERE annotation_id = ?", [first]).fetchone()[0]
    assert label == ("ana.attribution@desk.example", "supported", "ana.attribution@desk.example")  # Ana's own verdict stays
    assert reasons == ["edited_only_by_author"]

    # Ana submits her annotation again: it is hers, it lands and the quarantine row is resolved.
    ana.sdk.annotations.update(id=first, result=annotation_result(verdict="misleading", confidence=3))
    fixed = land_flow()
    assert (fixed.labels_updated, fixed.quarantine_resolved) == (1, 1)
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT annotator, verdict, updated_by_id FROM labels WHERE annotation_id = ?", [first]).fetchone() == (
            "ana.attribution@desk.example", "misleading", ana_id)


@pytest.mark.usefixtures("prefect_server")
def test_annotations_created_through_the_api_for_annotators_land_under_their_names(ingested, ls_client, db_path):
    from annotation.results import annotation_result
    from flows.land import land_flow
    from flows.push import push_flow

    push_flow()
    with connection(db_path, read_only=True) as con:
        (task_id,) = con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 1").fetchone()
    cy = ls_client.ensure_user("cy.attribution@desk.example")
    ls_client.annotate(task_id, annotation_result(verdict="supported", confidence=4, check_worthy=False), user=cy)
    report = land_flow()
    assert (report.labels_new, report.quarantined) == (1, 0)
    with connection(db_path, read_only=True) as con:
        row = con.execute("SELECT annotator, updated_by, check_worthy FROM labels").fetchone()
    assert row == ("cy.attribution@desk.example", ls_client.check_auth(), False)
