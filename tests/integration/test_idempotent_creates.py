"""Calls that create something are sent once: a 5xx injected by a proxy after Label Studio
committed the create (as a retried POST under load once made two projects) leaves one."""

import re

import pytest

from tests.conftest import free_port
from tests.faultproxy import FaultProxy


PROJECTS = r"^/api/projects/?(\?|$)"


@pytest.fixture
def proxy(label_studio):
    with FaultProxy(label_studio.url, free_port()) as proxy:
        yield proxy


def titled(client, title):
    return [p.id for p in client.sdk.projects.list(title=title) if p.title == title]


@pytest.mark.usefixtures("prefect_server")
def test_a_push_whose_project_creation_answer_is_lost_makes_one_project(ingested, ls_client, proxy, label_studio, monkeypatch):
    from flows.push import push_flow
    from flows.settings import get_settings

    monkeypatch.setenv("LABEL_STUDIO_URL", proxy.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.credentials().token)
    proxy.fail_after_commit("POST", PROJECTS)

    report = push_flow()

    assert [(m, s) for m, p, s in proxy.seen if m == "POST" and re.search(PROJECTS, p)] == [("POST", 502)]  # sent once
    assert titled(ls_client, get_settings().ls_project) == [report.project_id]
    assert report.created == report.candidates > 0


def test_a_project_created_behind_a_failing_answer_is_found_not_created_again(ls_client, proxy, label_studio):
    from tests.helpers import ScriptedClient
    from annotation.config import config_text

    with ScriptedClient(proxy.url, label_studio.credentials().token) as client:
        proxy.fail_after_commit("POST", PROJECTS, status=503)
        first = client.ensure_project("lost answer", config_text())
        assert client.ensure_project("lost answer", config_text()) == first
    assert titled(ls_client, "lost answer") == [first]


def test_a_user_and_an_annotation_created_behind_a_failing_answer_are_not_twinned(ls_client, proxy, label_studio):
    from tests.helpers import ScriptedClient
    from annotation.config import config_text
    from annotation.results import annotation_result

    project = ls_client.create_project("lost annotation", config_text())
    fields = dict.fromkeys(re.findall(r"\$(\w+)", config_text()), "NATO has 32 members.")  # whatever the config shows
    (task,) = ls_client.import_tasks(project, [{"data": fields | {"claim_id": "c1"}}])
    with ScriptedClient(proxy.url, label_studio.credentials().token) as client:
        proxy.fail_after_commit("POST", r"^/api/users/?(\?|$)")
        user = client.ensure_user("twin@desk.example")
        proxy.fail_after_commit("POST", rf"^/api/tasks/{task}/annotations/?(\?|$)")
        result = annotation_result(verdict="supported", confidence=4)
        annotation = client.annotate(task, result, user=user)
    assert [u for u, mail in ls_client.users().items() if mail == "twin@desk.example"] == [user]
    assert [a.id for a in ls_client.sdk.annotations.list(id=task)] == [annotation]


def test_a_create_refused_for_a_bad_config_is_not_looked_up_as_made(ls_client, proxy, label_studio):
    from tests.helpers import ScriptedClient
    from annotation.config import config_text
    from annotation.errors import LabelStudioRequestError

    broken = config_text().replace('toName="claim"', 'toName="nothing"', 1)
    with ScriptedClient(proxy.url, label_studio.credentials().token) as client:
        with pytest.raises(LabelStudioRequestError, match="400"):
            client.create_project("refused config", broken)
    assert titled(ls_client, "refused config") == []
