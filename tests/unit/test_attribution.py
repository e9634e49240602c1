"""A verdict is never stored under the wrong person: the land keeps who last changed each
annotation (Label Studio's updated_by) and quarantines an annotation that someone other than its
author edited. Here the payloads: a real one captured from Label Studio, and the rule of who
edited; tests/integration/test_attribution.py plays it against the real server."""

import json

from tests.conftest import ROOT, SAMPLES

GOLDEN = json.loads((ROOT / "tests" / "fixtures" / "ls_task_edited_by_another_user.json").read_text())


def test_the_captured_payload_of_an_edit_by_another_user_flattens_to_its_editor():
    """tests/fixtures/ls_task_edited_by_another_user.json, captured from Label Studio 1.23.2: the
    admin (user 1) annotated, a second annotator (user 3) changed the verdict with their own
    token; an annotation the admin created for user 2 through the API has updated_by 1 at once."""
    from annotation.results import flatten

    (task,) = GOLDEN
    edited, on_behalf = task["annotations"]
    assert (edited["completed_by"], edited["updated_by"], task["updated_by"]) == (1, 3, 3)
    assert (on_behalf["completed_by"], on_behalf["updated_by"]) == (2, 1)
    users = {1: "admin@claimflow.local", 2: "scripted@desk.example", 3: "two@desk.example"}
    rows = [flatten(a, claim_id="c1", users=users) for a in task["annotations"]]
    assert [(r["annotator"], r["verdict"], r["updated_by"], r["edited_by_id"]) for r in rows] == [
        ("admin@claimflow.local", "refuted", "two@desk.example", 3),  # an edit by someone else
        ("scripted@desk.example", "supported", "admin@claimflow.local", None),  # created on user 2's behalf
    ]


def test_an_edit_by_its_author_or_within_the_creation_is_not_an_edit_by_another():
    from datetime import datetime, timedelta

    from annotation.results import edited_by

    t0 = datetime(2026, 12, 1, 9, 0)
    assert edited_by(1, 1, t0, t0 + timedelta(hours=2)) is None
    assert edited_by(2, 1, t0, t0 + timedelta(microseconds=40)) is None
    assert edited_by(1, 3, t0, t0 + timedelta(seconds=3)) == 3
    assert edited_by(1, None, t0, t0) is None
