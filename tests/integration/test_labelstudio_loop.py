"""The Label Studio loop against a real server: push, reconcile, annotate as three people, land."""

import json

import pytest

from tests.conftest import SAMPLES
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")


def claim_ids_in(client, project):
    return sorted(t.data["claim_id"] for t in client.sdk.tasks.list(project=project, include="id,data", page_size=500))


def test_label_studio_validates_the_claim_config_when_the_project_is_created(ls_client):
    from annotation.config import config_text
    from annotation.errors import LabelStudioRequestError

    project = ls_client.create_project("config check", config_text())
    config = ls_client.sdk.projects.get(id=project).label_config
    assert 'name="verdict"' in config and 'name="context"' in config
    broken = config_text().replace('toName="claim"', 'toName="nothing"', 1)
    with pytest.raises(LabelStudioRequestError, match="400"):
        ls_client.create_project("broken config", broken)


def test_pushing_twice_creates_each_task_once(ingested, ls_client, db_path):
    from flows.push import push_flow

    first = push_flow()
    with connection(db_path, read_only=True) as con:
        expected = con.execute("SELECT count(*) FROM claims WHERE score >= 0.4").fetchone()[0]  # the default threshold
    assert first.created == first.candidates == expected > 20
    second = push_flow()
    assert (second.created, second.candidates, second.reconciled, second.already) == (0, 0, 0, expected)
    assert ls_client.project_task_count(first.project_id) == expected
    ids = claim_ids_in(ls_client, first.project_id)
    assert len(ids) == len(set(ids)) == expected
    task = next(iter(ls_client.sdk.tasks.list(project=first.project_id, fields="all", page_size=1)))
    from claims.checkworthy import model_version

    assert task.predictions[0].model_version == model_version() and 0.4 <= task.predictions[0].score <= 1
    assert "<mark>" in task.data["context_html"] and task.data["claim"] in task.data["context_html"]


def test_a_push_that_died_after_the_import_is_reconciled_without_duplicates(ingested, ls_client, db_path, label_studio):
    from annotation.tasks import claim_task
    from flows.labelstudio import resolve_target
    from flows.push import open_project, push_flow
    from flows.settings import get_settings
    from warehouse import annotations as store

    settings = get_settings()
    target = resolve_target(settings, start=False)
    project = open_project.fn(target, settings.ls_project)
    with connection(db_path) as con:
        rows = store.claims_to_push(con, target.url, project, settings.push_threshold)
    # Label Studio accepts the first 7 tasks, then the process dies before the mapping is written.
    ls_client.import_tasks(project, [claim_task(r, threshold=0.5) for r in rows[:7]])

    report = push_flow()
    assert (report.reconciled, report.created) == (7, len(rows) - 7)
    ids = claim_ids_in(ls_client, project)
    assert len(ids) == len(set(ids)) == len(rows)
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT task_id) FROM tasks").fetchone() == (len(rows), len(rows))


def test_three_annotators_label_a_claim_and_their_labels_land(ingested, ls_client, db_path):
    from annotation.results import annotation_result
    from flows.land import land_flow
    from flows.push import push_flow

    pushed = push_flow()
    with connection(db_path, read_only=True) as con:
        claim_id, task_id = con.execute("SELECT claim_id, task_id FROM tasks ORDER BY task_id LIMIT 1").fetchone()
    people = {
        "ana@desk.example": ("supported", 5, "Matches the NATO site.", ["https://www.nato.int/cps/en/natohq/topics_52044.htm"]),
        "ben@desk.example": ("supported", 4, "Same.", []),
        "cleo@desk.example": ("misleading", 2, "Omits context.", ["https://example.org/a", "https://example.org/b"]),
    }
    users = {email: ls_client.ensure_user(email, first_name=email[:3]) for email in people}
    for email, (verdict, confidence, rationale, evidence) in people.items():
        ls_client.annotate(task_id, annotation_result(verdict=verdict, confidence=confidence, rationale=rationale, evidence=evidence),
                           user=users[email], lead_time=12.5)

    report = land_flow()
    assert (report.labels_new, report.annotations_pulled, report.quarantined) == (3, 3, 0)
    with connection(db_path, read_only=True) as con:
        rows = con.execute(
            "SELECT annotator, verdict, confidence, rationale, evidence_urls, claim_id, lead_time, deleted FROM labels ORDER BY annotator"
        ).fetchall()
        raw = con.execute("SELECT payload FROM annotations_raw ORDER BY annotation_id").fetchall()
    assert [r[:5] for r in rows] == [
        ("ana@desk.example", "supported", 5, "Matches the NATO site.", ["https://www.nato.int/cps/en/natohq/topics_52044.htm"]),
        ("ben@desk.example", "supported", 4, "Same.", []),
        ("cleo@desk.example", "misleading", 2, "Omits context.", ["https://example.org/a", "https://example.org/b"]),
    ]
    assert all(r[5] == claim_id and r[6] == 12.5 and not r[7] for r in rows)
    task = ls_client.sdk.tasks.get(id=str(task_id))
    server_ids = sorted(a["id"] if isinstance(a, dict) else a.id for a in task.annotations)
    assert sorted(json.loads(p[0])["id"] for p in raw) == server_ids

    again = land_flow()
    assert (again.annotations_pulled, again.labels_new, again.labels_updated) == (0, 0, 0)
    assert pushed.project_id == again.project_id


def test_an_edited_annotation_relands_and_a_deleted_one_is_marked_deleted(ingested, ls_client, db_path):
    from annotation.results import annotation_result
    from flows.land import land_flow
    from flows.push import push_flow

    project = push_flow().project_id
    with connection(db_path, read_only=True) as con:
        (task_id,) = con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 1").fetchone()
        pushed = con.execute("SELECT count(*) FROM tasks").fetchone()[0]
    assert ls_client.changed_task_count(project, None) == pushed  # what a first land pulls
    from tests.conftest import sign_up

    dora_herself = sign_up(ls_client, "dora.edits@desk.example", "dora-edits-her-labels")  # she edits her own below
    dora, eli = dora_herself.sdk.users.whoami().id, ls_client.ensure_user("eli@desk.example")
    keep = ls_client.annotate(task_id, annotation_result(verdict="supported", confidence=3), user=dora)
    drop = ls_client.annotate(task_id, annotation_result(verdict="refuted", confidence=1), user=eli)
    assert land_flow().labels_new == 2

    dora_herself.sdk.annotations.update(id=keep, result=annotation_result(verdict="refuted", confidence=5, rationale="Checked again."))
    ls_client.sdk.annotations.delete(id=drop)
    with connection(db_path, read_only=True) as con:
        (since,) = con.execute("SELECT updated_at FROM land_watermarks").fetchone()
    changed, _ = ls_client.changed_tasks(project, since)
    assert ls_client.changed_task_count(project, since) == len(changed) >= 1  # the count the land decides on
    report = land_flow()
    assert (report.labels_updated, report.labels_deleted, report.labels_new) == (1, 1, 0)
    with connection(db_path, read_only=True) as con:
        rows = {r[0]: r[1:] for r in con.execute("SELECT annotation_id, verdict, confidence, rationale, deleted FROM labels").fetchall()}
        versions = con.execute("SELECT count(*) FROM annotations_raw WHERE annotation_id = ?", [keep]).fetchone()[0]
    assert rows[keep] == ("refuted", 5, "Checked again.", False)
    assert rows[drop] == ("refuted", 1, None, True)
    assert versions == 2  # both versions kept raw

    # A task deleted in Label Studio: its labels are marked deleted too, even when a task added
    # by hand to the same project keeps the project's task count as it was.
    by_hand = {"article_title": "Notes", "source_line": "a desk", "source_html": "a desk", "claim": "Added by hand.",
               "context_html": "Added by hand.", "matches_html": "", "quarantine_html": "",
               "claim_type": "statement", "score": 1.0, "review": ""}
    ls_client.import_tasks(project, [{"data": by_hand}])
    ls_client.sdk.tasks.delete(id=str(task_id))
    assert land_flow().labels_deleted == 1
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM labels WHERE NOT deleted").fetchone()[0] == 0


def test_a_label_studio_that_is_down_fails_the_flow_clearly_and_a_later_run_completes(ingested, ls_client, db_path, monkeypatch):
    from annotation.errors import LabelStudioUnavailable
    from flows.push import push_flow
    from tests.conftest import free_port

    token = ls_client.sdk._client_wrapper._tokens_client.api_key
    monkeypatch.setenv("LABEL_STUDIO_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", token)
    monkeypatch.setenv("CLAIMFLOW_LS_RETRIES", "2")
    with pytest.raises(LabelStudioUnavailable, match=r"Label Studio at http://127\.0\.0\.1:\d+ is unreachable"):
        push_flow()
    with connection(db_path, read_only=True) as con:
        status, message, params = con.execute("SELECT status, message, parameters FROM runs WHERE flow = 'push'").fetchone()
        assert con.execute("SELECT count(*) FROM tasks").fetchone()[0] == 0
    assert status == "failed" and "unreachable" in message
    assert token not in (message + params)

    monkeypatch.delenv("LABEL_STUDIO_URL")
    monkeypatch.delenv("LABEL_STUDIO_API_KEY")
    report = push_flow()
    assert report.created == report.candidates > 0


def test_an_external_server_works_with_a_legacy_token(ingested, ls_client, label_studio, monkeypatch, tmp_path):
    from flows.push import push_flow

    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.credentials().token)
    monkeypatch.setenv("CLAIMFLOW_LS_DATA_DIR", str(tmp_path / "unused"))  # no local server is touched
    report = push_flow()
    assert report.created > 0 and report.url == label_studio.url
    assert not (tmp_path / "unused").exists()


def test_a_wrong_token_is_reported_without_being_shown(ingested, label_studio, monkeypatch):
    from annotation.errors import LabelStudioAuthError
    from flows.push import push_flow

    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "f" * 40)
    with pytest.raises(LabelStudioAuthError, match="refused the API token") as info:
        push_flow()
    assert "f" * 40 not in str(info.value)


def test_an_external_server_works_with_a_personal_access_token(ingested, ls_client, label_studio, monkeypatch, tmp_path):
    from flows.land import land_flow
    from flows.push import push_flow

    pat = ls_client.sdk.tokens.create().token  # a JWT refresh token; the SDK exchanges it for access tokens
    assert pat.count(".") == 2
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", pat)
    monkeypatch.setenv("CLAIMFLOW_LS_DATA_DIR", str(tmp_path / "unused"))
    report = push_flow()
    assert report.created > 0
    assert land_flow().project_id == report.project_id


def test_no_secret_reaches_the_server_log_the_warehouse_or_prefect(ingested, ls_client, label_studio, db_path):
    import asyncio

    from flows.land import land_flow
    from flows.push import push_flow

    push_flow()
    land_flow()
    creds = label_studio.credentials()
    secrets = [creds.password, creds.token]
    log = label_studio.log_file.read_text(errors="replace")
    warehouse_bytes = db_path.read_bytes()
    with connection(db_path, read_only=True) as con:
        runs = " ".join(str(r) for r in con.execute("SELECT * FROM runs").fetchall())

    from prefect.client.orchestration import get_client
    from prefect.client.schemas.sorting import FlowRunSort

    async def flow_parameters():
        async with get_client() as client:
            runs = await client.read_flow_runs(limit=200, sort=FlowRunSort.START_TIME_DESC)
            assert runs
            return " ".join(str(r.parameters) for r in runs)

    parameters = asyncio.run(flow_parameters())
    for secret in secrets:
        assert secret not in log
        assert secret.encode() not in warehouse_bytes
        assert secret not in runs and secret not in parameters


def test_pulling_from_a_project_that_does_not_exist_is_a_named_error(ls_client):
    from annotation.errors import LabelStudioRequestError

    with pytest.raises(LabelStudioRequestError, match="no project 987654"):
        ls_client.changed_tasks(987654, None)
