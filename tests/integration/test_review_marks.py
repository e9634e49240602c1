"""Review marks go to Label Studio in bulk and only where they differ: the tasks' data read 200
at a time, written 200 at a time by a Data Manager action (or, where a server refuses it, one
PATCH per task, several at once); the resolve's own marks are not changes the next land counts."""

import json
import re

import pytest

from tests.conftest import free_port
from tests.faultproxy import FaultProxy
from warehouse.db import connection



@pytest.fixture
def project_of_250(ls_client):
    from annotation.config import config_text

    project = ls_client.create_project("bulk marks", config_text())
    fields = dict.fromkeys(re.findall(r"\$(\w+)", config_text()), "NATO has 32 members.")
    ids = ls_client.import_tasks(project, [{"data": fields | {"claim_id": f"c{i}"}} for i in range(250)])
    ls_client.sdk.tasks.delete(id=str(ids[-1]))
    return project, ids


def counted(proxy, method, prefix):
    return sum(1 for m, p, _ in proxy.seen if m == method and p.startswith(prefix))


@pytest.mark.parametrize("bulk_action", [True, False], ids=["in-bulk", "refused-so-one-by-one"])
def test_marks_are_written_only_where_they_differ_and_other_data_is_kept(ls_client, label_studio, project_of_250, bulk_action):
    from annotation.client import LabelStudioClient

    project, ids = project_of_250
    wanted = {t: ("needs_review" if i % 2 == 0 else "") for i, t in enumerate(ids)}
    changed = [t for t in ids[:-1] if wanted[t]]  # an empty mark on a task that has none is no change
    updated = {t: ls_client.sdk.tasks.get(id=str(t)).updated_at for t in changed[:3]}

    with FaultProxy(label_studio.url, free_port()) as proxy, LabelStudioClient(proxy.url, label_studio.credentials().token, concurrency=8) as client:
        if not bulk_action:  # a server without the Data Manager action
            proxy.fail_after_commit("POST", r"^/api/dm/actions", times=1_000, status=500)
        first = client.set_task_field(project, "review", wanted)
        writes = {"actions": counted(proxy, "POST", "/api/dm/actions"), "patches": counted(proxy, "PATCH", "/api/tasks/")}
        reads = counted(proxy, "GET", "/api/tasks")
        second = client.set_task_field(project, "review", wanted)
        again = counted(proxy, "PATCH", "/api/tasks/") + counted(proxy, "POST", "/api/dm/actions") - sum(writes.values())

    assert first[ids[-1]] == "missing" and second[ids[-1]] == "missing"
    assert sorted(t for t, o in first.items() if o == "changed") == sorted(changed)
    assert reads == 2  # 250 tasks read in two calls
    if bulk_action:  # one call per 200 tasks; their updated_at untouched, so no land pulls them for it
        assert writes == {"actions": 2, "patches": 0}
        assert {t: ls_client.sdk.tasks.get(id=str(t)).updated_at for t in updated} == updated
    else:  # one PATCH each, several at once, after one refused action
        assert writes == {"actions": 1, "patches": len(changed)} and proxy.most_in_flight["PATCH"] > 1
    assert set(second.values()) == {"unchanged", "missing"} and again == 0
    task = ls_client.sdk.tasks.get(id=str(ids[0]))
    assert task.data["review"] == "needs_review" and task.data["claim_id"] == "c0" and task.data["claim"] == "NATO has 32 members."
    needs_review = {"filters": {"conjunction": "and", "items": [
        {"filter": "filter:tasks:data.review", "operator": "equal", "type": "String", "value": "needs_review"}]}}
    found = {t.id for t in ls_client.sdk.tasks.list(project=project, query=json.dumps(needs_review))}
    assert found == set(changed)  # what a reviewer finds in the Data Manager


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
    assert (again.tasks_changed, again.annotations_pulled, again.labels_new) == (0, 0, 0)
    assert again.verdicts is None  # no label changed: nothing to resolve, no mark to write
    assert {t: ls_client.sdk.tasks.get(id=str(t)).updated_at for t in tied} == updated  # nothing written again
