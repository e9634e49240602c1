"""The annotation form as Label Studio stores it for a project claimflow creates."""

import pytest

from annotation.config import config_text
from tests.helpers import instructions_html


@pytest.mark.usefixtures("prefect_server")
def test_the_project_gets_the_instructions_the_config_and_a_tab_without_raw_html(ls_env, ls_client):
    from annotation.config import data_fields
    from flows.labelstudio import resolve_target
    from flows.kinds import CLAIM
    from flows.push import open_project, project_settings
    from flows.settings import get_settings

    settings = get_settings()
    target = resolve_target(settings, start=False)
    project = open_project.fn(target, settings.ls_project, settings.overlap)
    stored = ls_client.sdk.projects.get(id=project)
    assert stored.expert_instruction == instructions_html().strip() and stored.show_instruction
    assert stored.label_config == config_text().strip()
    views = ls_client._get("api/dm/views", {"project": project}, "list tabs").json()
    (tab,) = [v for v in views if v["data"]["title"] == CLAIM.view]
    hidden = tab["data"]["hiddenColumns"]
    assert hidden["explore"] == hidden["labeling"] == ["tasks:data.article_id", "tasks:data.quarantine_html", "tasks:data.source_html",
                                                       "tasks:data.context_html", "tasks:data.matches_html"]
    # Opened again, nothing changes; an older project gets the current config and instructions.
    assert open_project.fn(target, settings.ls_project, settings.overlap) == project
    assert ls_client.sync_project(project, **project_settings()) == []
    ls_client.sdk.projects.update(id=project, expert_instruction="old")
    open_project.fn(target, settings.ls_project, settings.overlap)
    assert ls_client.sdk.projects.get(id=project).expert_instruction == instructions_html().strip()
    assert len(ls_client._get("api/dm/views", {"project": project}, "list tabs").json()) == len(views)
    assert "context_html" in data_fields()


def test_an_older_project_whose_tasks_lack_a_newer_field_gets_the_current_config(ls_env, ls_client):
    from flows.labelstudio import resolve_target
    from flows.push import open_project
    from flows.settings import get_settings

    settings = get_settings()
    target = resolve_target(settings, start=False)
    older = config_text().replace('  <HyperText name="quarantine" value="$quarantine_html" inline="true"/>\n', "")
    assert "quarantine_html" not in older
    project = ls_client.create_project(settings.ls_project, older)
    task = {"article_title": "Notes", "source_line": "a desk", "source_html": "a desk", "claim": "Pushed by an older claimflow.",
            "context_html": "Pushed by an older claimflow.", "matches_html": "", "claim_type": "statement", "score": 1.0,
            "review": "", "article_id": "a1"}
    ls_client.sdk.projects.import_tasks(id=project, request=[{"data": task}])
    assert open_project.fn(target, settings.ls_project, settings.overlap) == project
    assert ls_client.sdk.projects.get(id=project).label_config == config_text().strip()


@pytest.mark.usefixtures("prefect_server")
def test_a_land_before_any_push_makes_the_project_once_and_later_lands_leave_its_settings_alone(ls_env, ls_client, db_path):
    """A land finds the claim project by its title (one call); only when there is none does it
    make one, as a push would. Its settings are the push's to keep: a land does not rewrite them."""
    from flows.land import land_flow
    from flows.settings import get_settings

    title = get_settings().ls_project
    assert ls_client.find_project(title) is None
    first = land_flow(db=str(db_path))
    project = ls_client.find_project(title)
    assert project is not None and first.project_id == project
    assert first.tasks_changed == first.annotations_pulled == 0
    ls_client.sdk.projects.update(id=project, expert_instruction="changed by hand")
    again = land_flow(db=str(db_path))
    assert again.project_id == project
    assert [p.id for p in ls_client.sdk.projects.list(title=title) if p.title == title] == [project]
    assert ls_client.sdk.projects.get(id=project).expert_instruction == "changed by hand"
