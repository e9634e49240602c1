"""A land killed in the middle of its batch (SIGKILL, as the kernel or an impatient operator does)
and run again: no label lost or duplicated, no process left behind, and the warehouse passes its
expectation suites."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from annotation.results import annotation_result
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")
EXE = Path(sys.executable).with_name("claimflow")
VERDICTS = ["supported", "refuted", "misleading", "not_enough_info"]


def seed_annotated_tasks(db_path, annotators: list[int]) -> int:
    """Every claim as a task with one annotation per annotator, imported in one call (as a push
    would create them, then mapped by the next push); returns the annotations made."""
    from annotation.tasks import claim_task
    from flows.labelstudio import resolve_target
    from flows.push import open_project, push_flow
    from flows.settings import get_settings
    from warehouse import annotations as store

    settings = get_settings()
    target = resolve_target(settings)
    project = open_project.fn(target, settings.ls_project, settings.overlap)
    with connection(db_path) as con:
        rows = store.claims_to_push(con, target.url, project, 0.0)
    payloads = [
        claim_task(r, threshold=0.0) | {"annotations": [
            {"result": annotation_result(verdict=VERDICTS[(i + k) % 4], confidence=3), "completed_by": user, "lead_time": 4.0}
            for k, user in enumerate(annotators)]}
        for i, r in enumerate(rows)
    ]
    with target.client() as client:
        client.sdk.projects.import_tasks(id=project, request=payloads, request_options={"timeout_in_seconds": 600})
    assert push_flow(threshold=0.0).reconciled == len(rows)  # mapped, not created again
    return len(rows) * len(annotators)


def running_task(api: str, name: str) -> bool:
    """Whether a task run of that name runs now on the server at ``api``."""
    query = {"task_runs": {"name": {"like_": name}, "state": {"type": {"any_": ["RUNNING"]}}}}
    try:
        return bool(httpx.post(f"{api}/task_runs/filter", json=query, timeout=5).json())
    except httpx.HTTPError:  # the land has not started the server yet
        return False


@pytest.mark.slow
def test_a_land_killed_mid_batch_and_run_again_loses_and_duplicates_nothing(
    ingested, ls_env, ls_client, db_path, monkeypatch, local_prefect, tmp_path
):
    from expectations.gate import validate
    from warehouse.report import docs_batches

    monkeypatch.setenv("CLAIMFLOW_PUSH_THRESHOLD", "0")
    annotators = [ls_client.ensure_user(f"killed{i}@land.example") for i in range(3)]
    made = seed_annotated_tasks(db_path, annotators)
    # The lands run on a real Prefect server (the killed one's writer slot is reclaimed there).
    env = {**os.environ, **local_prefect}
    env.pop("PREFECT_API_URL", None)
    api = f"http://127.0.0.1:{local_prefect['CLAIMFLOW_PREFECT_PORT']}/api"

    log = tmp_path / "killed-land.log"
    land = subprocess.Popen([str(EXE), "land"], env=env, stdout=subprocess.DEVNULL, stderr=open(log, "w"))
    deadline = time.monotonic() + 300
    while not running_task(api, "land_annotations") and land.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert land.poll() is None, "the land finished before it could be killed in its batch:\n" + log.read_text()[-3000:]
    children = psutil.Process(land.pid).children(recursive=True)
    os.kill(land.pid, signal.SIGKILL)
    land.wait(30)
    gone, alive = psutil.wait_procs(children, timeout=15)
    assert not alive, f"left behind: {[p.cmdline() for p in alive]}"
    with connection(db_path) as con:
        assert con.execute("SELECT count(*) FROM labels").fetchone()[0] in (0, made)  # one transaction: all or nothing

    again = subprocess.run([str(EXE), "land"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    with connection(db_path) as con:
        labels, distinct = con.execute("SELECT count(*), count(DISTINCT annotation_id) FROM labels WHERE NOT deleted").fetchone()
        raw, versions = con.execute("SELECT count(*), count(DISTINCT (annotation_id, updated_at)) FROM annotations_raw").fetchone()
        quarantined = con.execute("SELECT count(*) FROM labels_quarantine").fetchone()[0]
        batches = docs_batches(con)
    assert labels == distinct == made and quarantined == 0
    assert raw == versions == made
    from expectations.labels import label_frame

    batches["labels"] = label_frame(batches["labels"].to_dict("records"))  # as the data docs validate it
    for suite, frame in batches.items():
        outcome = validate(suite, frame)
        assert outcome.success, (suite, outcome.unexpected)

    # Nothing changed now: a land imports no Great Expectations and does not resolve again, nor
    # the SDK's helpers it does not use (faker, jsf; bench/README.md: a warm command).
    probe = ("import sys; from flows.cli import app\ntry: app(['land'])\nexcept SystemExit: pass\n"
             "print('great_expectations' in sys.modules)\nprint('faker' in sys.modules, 'jsf' in sys.modules)")
    noop = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    assert noop.stdout.strip().splitlines()[-2] == "False", noop.stderr[-2000:]
    assert noop.stdout.strip().splitlines()[-1] == "False False", noop.stderr[-2000:]
    assert "verdicts" not in noop.stdout
