"""The push flow: claims at or above the threshold become Label Studio tasks, exactly once; so do
the claim pairs that may contradict each other, in the pair project."""

from __future__ import annotations

from collections.abc import Callable
import hashlib
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from annotation.config import config_text, data_fields
from annotation.pairs import pair_task
from annotation.tasks import claim_task, hidden_columns
from flows.kinds import CLAIM, PAIR, TaskKind
from flows.labelstudio import Target, resolve_target, with_retries
from flows.runs import this_run
from flows.settings import Settings
from warehouse import annotations as annotation_store
from warehouse.db import connection, writing


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
    matches_updated: int = 0  # claim tasks whose matches changed since they were pushed
    seconds: float = 0.0
    pairs: "PushReport | None" = None  # the pair project's push, when it ran

    def counts(self) -> dict:
        counts = {
            "project_id": self.project_id,
            "candidates": self.candidates,
            "tasks_created": self.created,
            "tasks_reconciled": self.reconciled,
            "tasks_already_mapped": self.already,
            "batches": self.batches,
            "matches_updated": self.matches_updated,
        }
        if self.pairs is not None:
            counts |= {f"pair_{k}": v for k, v in self.pairs.counts().items()}
        return counts


# The Data Manager tab claimflow keeps on its project (raw HTML fields hidden from its table).


def project_settings(kind: TaskKind = CLAIM) -> dict:
    """What a claimflow project always has: the kind's labeling config, the instructions shown
    to annotators before they start (and behind the form's "i"), a skip button."""
    return {  # stripped: Label Studio stores them without the final newline
        "label_config": config_text(kind.config).strip(),
        "expert_instruction": config_text(kind.instructions).strip(),
        "show_instruction": True,
        "show_skip_button": True,
        "show_collab_predictions": True,
    }


@task(cache_policy=NO_CACHE)
def open_project(target: Target, title: str, overlap: int | None = None, kind: TaskKind = CLAIM) -> int:
    """Find the kind's project by title, or create it with its labeling config (Label Studio
    validates it), and bring its config, instructions and Data Manager tab up to date; with
    ``overlap``, make sure the project asks for that many annotators per task."""
    settings = project_settings(kind)
    with target.client() as client:  # a refused token fails the first call, with the same one line as a whoami
        project = client.find_project(title) or client.create_project(
            title, settings["label_config"], description=kind.description,
        )
        # The overlap (every task to ``overlap`` annotators) with the other settings: one read.
        overlapped = {"maximum_annotations": overlap, "overlap_cohort_percentage": 100} if overlap is not None else {}
        client.sync_project(project, **settings, **overlapped)
        client.ensure_view(project, kind.view, hidden_columns(["article_id", *data_fields(settings["label_config"])]))
        return project


def _reconcile(client, db: str, url: str, project_id: int, run_id: str, kind: TaskKind) -> int:
    """Map the project's unmapped tasks from the claim (or pair) ids in their data; return how many."""
    with connection(db) as con:
        mapped = annotation_store.mapped_task_count(con, url, project_id, kind.tables)
    if client.claim_task_count(project_id, kind.subject) == mapped:
        return 0  # one cheap call when the counts agree (tasks deleted in Label Studio make them differ)
    pairs = list(client.task_claim_ids(project_id, kind.subject).items())
    return writing(db, lambda con: annotation_store.record_tasks(con, url, project_id, pairs, run_id, kind.tables),
                   "mapping the project's tasks")


@task(cache_policy=NO_CACHE)
def import_tasks(
    target: Target, db: str, project_id: int, settings: Settings, run_id: str, kind: TaskKind = CLAIM
) -> tuple[int, int, int, int]:
    """Import the claims (or pairs) not yet mapped, batch by batch, writing each batch's mapping
    at once.

    Every attempt (a retry too) first reconciles: tasks that Label Studio has but the warehouse
    does not map (a push that died after the import and before the mapping was written, or an
    import whose answer was lost) are mapped from the ids in their data, not sent again.
    Returns (reconciled, candidates, created, batches)."""
    rows_to_push, build = _candidates(kind, settings)
    with target.client() as client:
        reconciled = _reconcile(client, db, target.url, project_id, run_id, kind)
        with connection(db) as con:
            rows = rows_to_push(con, target.url, project_id)
        chunks = [rows[start : start + settings.push_batch_size] for start in range(0, len(rows), settings.push_batch_size)]
        created = 0

        def record(chunk: list[dict], payloads: list[dict], imported: Future) -> int:
            tasks = list(zip((r[kind.subject] for r in chunk), imported.result()))  # Label Studio's answer, before the write

            def write(con) -> int:  # run again whole if a DuckLake commit conflicts
                created = annotation_store.record_tasks(con, target.url, project_id, tasks, run_id, kind.tables)
                if kind is CLAIM:
                    annotation_store.record_matches_hashes(con, target.url, project_id, {
                        r["claim_id"]: _digest(p["data"]["matches_html"]) for r, p in zip(chunk, payloads)})
                return created

            return writing(db, write, "mapping the imported tasks")

        # One import at a time, in a worker thread: while Label Studio imports a batch, this
        # thread builds the next one and writes the previous one's mapping. A failed import
        # raises from its result(); the batches Label Studio accepted but that were not mapped
        # are reconciled by the next attempt.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="claimflow-import") as importer:
            pending: list[tuple[list[dict], list[dict], Future]] = []
            for chunk in chunks:
                payloads = [build(r) for r in chunk]
                pending.append((chunk, payloads, importer.submit(client.import_tasks, project_id, payloads)))
                if len(pending) == 2:
                    created += record(*pending.pop(0))
            for item in pending:
                created += record(*item)
    return reconciled, len(rows), created, len(chunks)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


@task(cache_policy=NO_CACHE)
def refresh_matches(target: Target, db: str, project_id: int, settings: Settings) -> int:
    """Update what the project's claim tasks show of their matches where it changed since they
    were pushed (a new article was matched against them): an annotator judging a claim then sees
    the other source that says otherwise, whenever it came. Returns how many tasks changed."""
    from annotation.tasks import matches_html

    with connection(db) as con:
        mapped = annotation_store.tasks_with_matches(con, target.url, project_id)
        matches = annotation_store.claim_matches(con, [c for _, c, _ in mapped], may_contradict=settings.pair_push_threshold)
        checked = annotation_store.claim_fact_checks(con, [c for _, c, _ in mapped])
    wanted: dict[int, tuple[str, str]] = {}  # task id -> claim id, what it should show
    for task_id, claim_id, known in mapped:
        html = matches_html(matches.get(claim_id, []), settings.pair_push_threshold, checked.get(claim_id, []))
        if _digest(html) != known:
            wanted[task_id] = (claim_id, html)
    if not wanted:
        return 0
    with target.client() as client:
        outcome = client.set_task_field(project_id, "matches_html", {t: html for t, (_, html) in wanted.items()})
    # Remembered, so the next push does not redo it (a task deleted in Label Studio has nothing to update).
    hashes = {claim_id: _digest(html) for claim_id, html in wanted.values()}
    writing(db, lambda con: annotation_store.record_matches_hashes(con, target.url, project_id, hashes), "recording the tasks' matches")
    return sum(1 for state in outcome.values() if state == "changed")


def _candidates(kind: TaskKind, settings: Settings) -> tuple[Callable, Callable[[dict], dict]]:
    """What to push for a kind, and how one row becomes a task."""
    if kind is PAIR:
        return (lambda con, url, project: annotation_store.pairs_to_push(con, url, project, settings.pair_push_threshold)), pair_task
    # A match "may contradict" the claim where the pair would go to the pair project.
    return (
        lambda con, url, project: annotation_store.claims_to_push(con, url, project, settings.push_threshold, settings.pair_push_threshold),
        lambda row: claim_task(row, threshold=settings.push_threshold, may_contradict=settings.pair_push_threshold,
                               predict_from_fact_check=settings.factcheck_predict_score),
    )


def push_kind(target: Target, settings: Settings, kind: TaskKind, report: PushReport) -> PushReport:
    """Open the kind's project and import what it lacks, counted into ``report`` (returned)."""
    report.project_id = with_retries(open_project, settings)(target, kind.project_title(settings), settings.overlap, kind)
    report.reconciled, report.candidates, report.created, report.batches = with_retries(import_tasks, settings)(
        target, str(settings.db), report.project_id, settings, report.run_id, kind
    )
    with connection(settings.db) as con:
        mapped = annotation_store.mapped_task_count(con, target.url, report.project_id, kind.tables)
    report.already = mapped - report.created - report.reconciled
    if kind is CLAIM:
        report.matches_updated = with_retries(refresh_matches, settings)(target, str(settings.db), report.project_id, settings)
    return report


@flow(name="push")
def push_flow(db: str | None = None, threshold: float | None = None, pairs: bool = True) -> PushReport:
    """Send the claims at or above the threshold to Label Studio as tasks with predictions, and
    (with ``pairs``) the claim pairs that may contradict each other to the pair project."""
    run = this_run("push", db=db, push_threshold=threshold)
    settings = run.settings
    target = resolve_target(settings)
    report = PushReport(run_id=run.id, url=target.url)
    parameters = {"threshold": settings.push_threshold, "url": target.url, "project": settings.ls_project,
                  "pair_threshold": settings.pair_push_threshold if pairs else None}
    with run.recorded(report, parameters):
        push_kind(target, settings, CLAIM, report)
        if pairs and _has_pairs_to_push(settings):
            report.pairs = push_kind(target, settings, PAIR, PushReport(run_id=run.id, url=target.url))
    return report


def _has_pairs_to_push(settings: Settings) -> bool:
    """Whether any pair reaches the pair threshold (no pair project is made before one does)."""
    with connection(settings.db) as con:
        return annotation_store.pair_candidates(con, settings.pair_push_threshold) > 0
