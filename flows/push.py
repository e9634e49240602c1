"""The push flow: claims at or above the threshold become Label Studio tasks, exactly once."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from annotation.config import config_text, data_fields, instructions_html
from annotation.tasks import claim_task, hidden_columns
from flows.labelstudio import Target, resolve_target, with_retries
from flows.runs import recorded_run
from flows.settings import Settings, get_settings
from warehouse import annotations as store
from warehouse.db import connection


@dataclass
class PushReport:
    run_id: str
    url: str
    project_id: int | None = None
    candidates: int = 0
    created: int = 0
    reconciled: int = 0
    already: int = 0
    batches: int = 0
    seconds: float = 0.0

    def counts(self) -> dict:
        return {
            "project_id": self.project_id,
            "candidates": self.candidates,
            "tasks_created": self.created,
            "tasks_reconciled": self.reconciled,
            "tasks_already_mapped": self.already,
            "batches": self.batches,
        }


# The Data Manager tab claimflow keeps on its project (raw HTML fields hidden from its table).
CLAIMS_VIEW = "Claims"


def project_settings() -> dict:
    """What claimflow's project always has: the labeling config, the instructions shown to
    annotators before they start (and behind the form's "i"), a skip button."""
    return {  # stripped: Label Studio stores them without the final newline
        "label_config": config_text().strip(),
        "expert_instruction": instructions_html().strip(),
        "show_instruction": True,
        "show_skip_button": True,
        "show_collab_predictions": True,
    }


@task(cache_policy=NO_CACHE)
def open_project(target: Target, title: str, overlap: int | None = None) -> int:
    """Find the claims project by title, or create it with the labeling config (Label Studio
    validates it), and bring its config, instructions and Data Manager tab up to date; with
    ``overlap``, make sure the project asks for that many annotators per task."""
    settings = project_settings()
    with target.client() as client:
        client.check_auth()
        project = client.find_project(title) or client.create_project(
            title, settings["label_config"],
            description="Claims extracted by claimflow: give each a verdict, a confidence, a rationale and evidence.",
        )
        client.sync_project(project, **settings)
        client.ensure_view(project, CLAIMS_VIEW, hidden_columns(["article_id", *data_fields()]))
        if overlap is not None:
            client.set_overlap(project, overlap)
        return project


def _reconcile(client, db: str, url: str, project_id: int, run_id: str) -> int:
    """Map the project's unmapped tasks from the claim ids in their data; return how many."""
    with connection(db) as con:
        mapped = store.mapped_task_count(con, url, project_id)
    if client.claim_task_count(project_id) == mapped:
        return 0  # one cheap call when the counts agree (tasks deleted in Label Studio make them differ)
    pairs = client.task_claim_ids(project_id).items()
    with connection(db) as con:
        return store.record_tasks(con, url, project_id, pairs, run_id)


@task(cache_policy=NO_CACHE)
def import_claims(target: Target, db: str, project_id: int, settings: Settings, run_id: str) -> tuple[int, int, int, int]:
    """Import the claims not yet mapped, batch by batch, writing each batch's mapping at once.

    Every attempt (a retry too) first reconciles: tasks that Label Studio has but the warehouse
    does not map (a push that died after the import and before the mapping was written, or an
    import whose answer was lost) are mapped from the claim ids in their data, not sent again.
    Returns (reconciled, candidates, created, batches)."""
    with target.client() as client:
        reconciled = _reconcile(client, db, target.url, project_id, run_id)
        with connection(db) as con:
            rows = store.claims_to_push(con, target.url, project_id, settings.push_threshold)
        chunks = [rows[start : start + settings.push_batch_size] for start in range(0, len(rows), settings.push_batch_size)]
        created = 0

        def record(chunk: list[dict], imported: Future) -> int:
            with connection(db) as con:
                return store.record_tasks(con, target.url, project_id, zip((r["claim_id"] for r in chunk), imported.result()), run_id)

        # One import at a time, in a worker thread: while Label Studio imports a batch, this
        # thread builds the next one and writes the previous one's mapping. A failed import
        # raises from its result(); the batches Label Studio accepted but that were not mapped
        # are reconciled by the next attempt.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="claimflow-import") as importer:
            pending: list[tuple[list[dict], Future]] = []
            for chunk in chunks:
                payloads = [claim_task(r, threshold=settings.push_threshold) for r in chunk]
                pending.append((chunk, importer.submit(client.import_tasks, project_id, payloads)))
                if len(pending) == 2:
                    created += record(*pending.pop(0))
            for item in pending:
                created += record(*item)
    return reconciled, len(rows), created, len(chunks)


@flow(name="push")
def push_flow(db: str | None = None, threshold: float | None = None) -> PushReport:
    """Send the claims at or above the threshold to Label Studio as tasks with predictions."""
    import time

    settings = get_settings(db=db, push_threshold=threshold)
    run_id = str(flow_run.id)
    started = time.perf_counter()
    target = resolve_target(settings)
    report = PushReport(run_id=run_id, url=target.url)
    parameters = {"threshold": settings.push_threshold, "url": target.url, "project": settings.ls_project}
    with recorded_run(settings.db, run_id, "push", parameters, report):
        report.project_id = with_retries(open_project, settings)(target, settings.ls_project, settings.overlap)
        report.reconciled, report.candidates, report.created, report.batches = with_retries(import_claims, settings)(
            target, str(settings.db), report.project_id, settings, run_id
        )
        with connection(settings.db) as con:
            report.already = store.mapped_task_count(con, target.url, report.project_id) - report.created - report.reconciled
        report.seconds = time.perf_counter() - started
    get_run_logger().info("push completed: %s", report.counts())
    return report
