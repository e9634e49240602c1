"""The land flow: annotations changed in Label Studio since the last land come into the warehouse."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote

from annotation.results import MalformedAnnotation, flatten, parse_time
from flows.labelstudio import Target, resolve_target, with_retries
from flows.push import open_project
from flows.runs import recorded_run
from flows.settings import get_settings
from warehouse import annotations as store
from warehouse.db import connection

# Tasks updated this long before the last landed update are pulled again: two writes committed
# out of order in Label Studio cannot slip past the watermark. Unchanged rows are skipped.
WATERMARK_OVERLAP = timedelta(seconds=2)


@dataclass
class LandReport:
    run_id: str
    url: str
    project_id: int | None = None
    tasks_changed: int = 0
    annotations_pulled: int = 0
    labels_new: int = 0
    labels_updated: int = 0
    labels_deleted: int = 0
    unparsed: int = 0
    seconds: float = 0.0

    def counts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("run_id", "url", "seconds")}


@task(cache_policy=NO_CACHE)
def pull_changed_tasks(target: Target, db: str, project_id: int) -> tuple[list[dict], dict[int, str], datetime | None]:
    """Every task updated since the last land (with its annotations), the users by id, and the
    server's clock when the pull began (the next watermark)."""
    with connection(db) as con:
        watermark = store.land_watermark(con, target.url, project_id)
    since = watermark - WATERMARK_OVERLAP if watermark is not None else None
    with target.client() as client:
        tasks, began = client.changed_tasks(project_id, since)
        return tasks, client.users(), began


@task(cache_policy=NO_CACHE)
def land_annotations(
    ls_url: str, db: str, project_id: int, tasks: list[dict], users: dict[int, str], began: datetime | None, run_id: str
) -> dict:
    """Append changed annotations raw, flatten them into labels, mark deleted ones, move the
    watermarks; one transaction."""
    updated_at = {t["id"]: parse_time(t.get("updated_at")) for t in tasks}
    with connection(db) as con:
        state = store.task_state(con, ls_url, project_id)
        changed = {tid: u for tid, u in updated_at.items() if state.get(tid, (None, None))[1] != u}
        known = store.label_versions(con, ls_url, list(changed))
    raw, labels, present, unparsed = [], [], [], 0
    for t in tasks:
        if t["id"] not in changed:
            continue
        claim_id = state.get(t["id"], (None, None))[0] or (t.get("data") or {}).get("claim_id")
        for annotation in t.get("annotations") or []:
            annotation_id = annotation.get("id") if isinstance(annotation, dict) else None
            if isinstance(annotation_id, int):
                present.append(annotation_id)
            try:
                updated = parse_time(annotation.get("updated_at")) if isinstance(annotation, dict) else None
            except ValueError:
                updated = None
            if annotation_id in known and known[annotation_id] == updated:
                continue  # landed already, unchanged
            raw.append({"task_id": t["id"], "annotation_id": annotation_id, "updated_at": updated, "payload": annotation})
            try:
                labels.append(flatten(annotation, claim_id=claim_id, users=users) | {"task_id": t["id"]})
            except MalformedAnnotation:
                unparsed += 1  # kept raw in annotations_raw, counted in the run
    # The next land starts where this pull began; without a server clock, at the latest update seen.
    seen_until = began or max((u for u in updated_at.values() if u), default=None)
    with connection(db) as con:
        counts = store.land_batch(
            con, ls_url=ls_url, project_id=project_id, run_id=run_id, raw=raw, labels=labels, changed=changed,
            present=present, seen_until=seen_until,
        )
    return counts | {"tasks_changed": len(changed), "unparsed": unparsed}


@flow(name="land")
def land_flow(db: str | None = None) -> LandReport:
    """Pull the annotations changed in Label Studio since the last land into the warehouse."""
    settings = get_settings(db=db)
    run_id = str(flow_run.id)
    started = time.perf_counter()
    target = resolve_target(settings)
    report = LandReport(run_id=run_id, url=target.url)
    with recorded_run(settings.db, run_id, "land", {"url": target.url, "project": settings.ls_project}, report):
        report.project_id = with_retries(open_project, settings)(target, settings.ls_project)
        tasks, users, began = with_retries(pull_changed_tasks, settings)(target, str(settings.db), report.project_id)
        counts = land_annotations(target.url, str(settings.db), report.project_id, quote(tasks), users, began, run_id)
        report.tasks_changed = counts["tasks_changed"]
        report.annotations_pulled = counts["raw"]
        report.labels_new, report.labels_updated = counts["labels_new"], counts["labels_updated"]
        report.labels_deleted, report.unparsed = counts["labels_deleted"], counts["unparsed"]
        report.seconds = time.perf_counter() - started
    get_run_logger().info("land completed: %s", report.counts())
    return report
