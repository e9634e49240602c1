"""Review marks go to Label Studio in bulk: the tasks' data read 200 at a time, written several at
once and only where the mark differs; the resolve's own marks are not changes the next land
counts."""

import re

import pytest

from tests.conftest import free_port
from tests.faultproxy import FaultProxy
from warehouse.db import connection

pytestmark = pytest.mark.integration


def test_marks_are_written_concurrently_only_where_they_differ_and_other_data_is_kept(ls_client, label_studio):
    from annotation.client import LabelStudioClient
    from annotation.config import config_text

    project = ls_client.create_project("bulk marks", config_text())
    fields = dict.fromkeys(re.findall(r"\$(\w+)", config_text()), "NATO has 32 members.")
    ids = ls_client.import_tasks(project, [{"data": fields | {"claim_id": f"c{i}"}} for i in range(250)])
    ls_client.sdk.tasks.delete(id=str(ids[-1]))
    wanted = {t: ("needs_review" if i % 2 == 0 else "") for i, t in enumerate(ids)}

    with FaultProxy(label_studio.url, free_port()) as proxy, LabelStudioClient(proxy.url, label_studio.credentials().token, concurrency=8) as client:
        first = client.set_task_field(project, "review", wanted)
        patches = sum(1 for m, _, _ in proxy.seen if m == "PATCH")
        reads = sum(1 for m, p, _ in proxy.seen if m == "GET" and p.startswith("/api/tasks"))
        second = client.set_task_field(project, "review", wanted)
        patches_again = sum(1 for m, _, _ in proxy.seen if m == "PATCH") - patches

    assert first[ids[-1]] == "missing" and second[ids[-1]] == "missing"
    changed = [t for t in ids[:-1] if wanted[t]]  # an empty mark on a task that has none is no change
    assert sorted(t for t, o in first.items() if o == "changed") == sorted(changed)
    assert patches == len(changed) and reads == 2  # 250 tasks read in two calls
    assert proxy.most_in_flight["PATCH"] > 1  # written several at once
    assert set(second.values()) == {"unchanged", "missing"} and patches_again == 0
    task = ls_client.sdk.tasks.get(id=str(ids[0]))
    assert task.data["review"] == "needs_review" and task.data["claim_id"] == "c0" and task.data["claim"] == "NATO has 32 members."


@pytest.mark.usefixtures("prefect_server")
def test_the_next_land_does_not_count_the_resolves_own_marks_as_changed_tasks(ingested, ls_client, db_path):
    from annotation.results import annotation_result
    from flows.land import land_flow
    from flows.push import push_flow

    push_flow()
    with connection(db_path, read_only=True) as con:
        tied = [t for (t,) in con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 3").fetchall()]
    ana, ben = (ls_client.ensure_user(e) for e in ("ana@desk.example", "ben@desk.example"))
    for task in tied:
        ls_client.annotate(task, annotation_result(verdict="supported", confidence=3), user=ana)
        ls_client.annotate(task, annotation_result(verdict="refuted", confidence=3), user=ben)

    first = land_flow()
    assert (first.tasks_changed, first.labels_new, first.verdicts.needs_review, first.verdicts.marks_changed) == (3, 6, 3, 3)
    updated = {t: ls_client.sdk.tasks.get(id=str(t)).updated_at for t in tied}

    again = land_flow()  # the marks updated the three tasks in Label Studio; no annotation changed
    assert (again.tasks_changed, again.annotations_pulled, again.labels_new, again.verdicts.marks_changed) == (0, 0, 0, 0)
    assert {t: ls_client.sdk.tasks.get(id=str(t)).updated_at for t in tied} == updated  # nothing written again
