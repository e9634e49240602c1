"""The land flow: annotations changed in Label Studio since the last land come into the warehouse."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.artifacts import create_table_artifact
from prefect.utilities.annotations import quote

from annotation.results import MalformedAnnotation, parse_time
from flows import collector
from flows.errors import QuarantineLimitExceeded
from flows.kinds import CLAIM, PAIR, TaskKind
from flows.labelstudio import Target, resolve_target, with_retries
from flows.resolve import ResolveReport, resolve_flow, up_to_date
from flows.runs import this_run
from warehouse import annotations as annotation_store
from warehouse.db import connection, retry_conflicts, transaction, writing

# Tasks updated this long before the last landed update are pulled again: two writes committed
# out of order in Label Studio cannot slip past the watermark. Unchanged rows are skipped.
WATERMARK_OVERLAP = timedelta(seconds=2)
_NEVER = object()


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
    # Annotations Label Studio held that no pull had brought (found by comparing per-task counts), landed now.
    annotations_recovered: int = 0
    validated: int = 0
    quarantined: int = 0
    quarantine_resolved: int = 0
    notices_changed: int = 0  # tasks whose notice of quarantined answers was written or cleared
    failed_expectations: dict = field(default_factory=dict)
    # One line per row newly quarantined: task, annotation, and each failed field with its value.
    quarantine_details: list = field(default_factory=list)
    seconds: float = 0.0
    verdicts: ResolveReport | None = None  # the resolve that followed, if any
    pairs: "LandReport | None" = None  # the pair project's land, when it has one

    def counts(self) -> dict:
        hidden = ("run_id", "url", "seconds", "verdicts", "pairs", "quarantine_details")
        counts = {k: v for k, v in self.__dict__.items() if k not in hidden}
        if self.pairs is not None:
            counts |= {f"pair_{k}": v for k, v in self.pairs.counts().items() if k != "failed_expectations"}
        return counts

    @property
    def did_something(self) -> bool:
        """Whether any of this land's counts (its pair project's included) is not zero: it landed,
        recovered, deleted, validated or told something. A task whose data alone changed counts for nothing."""
        return any(v for k, v in self.counts().items() if k not in ("project_id", "pair_project_id", "failed_expectations"))

    @property
    def quarantined_share(self) -> float:
        return self.quarantined / self.validated if self.validated else 0.0


@dataclass(frozen=True)
class ProjectState:
    """What the warehouse holds of one project, as a land compares it with Label Studio, read in
    one connection: a land that finds nothing to do opens the warehouse once for all its checks.
    Read again after each of the land's own writes."""

    watermark: datetime | None  # the last landed task update (None: nothing landed yet)
    mapped_tasks: int  # how many of the project's tasks claimflow mapped
    held: dict[int, int]  # task id -> annotations held (see annotation_store.held_annotation_counts)
    notices: list  # the tasks whose quarantine notice may change (annotation_store.quarantine_notices)

    @property
    def since(self) -> datetime | None:
        """Where a pull starts: the watermark, less the overlap (None: everything)."""
        return self.watermark - WATERMARK_OVERLAP if self.watermark is not None else None


def read_state(con, url: str, project_id: int, kind: TaskKind) -> ProjectState:
    return ProjectState(
        watermark=annotation_store.land_watermark(con, url, project_id),
        mapped_tasks=annotation_store.mapped_task_count(con, url, project_id, kind.tables),
        held=annotation_store.held_annotation_counts(con, url, project_id, kind.tables),
        notices=annotation_store.quarantine_notices(con, url, project_id, kind.tables),
    )


def project_state(db: str, url: str, project_id: int, kind: TaskKind) -> ProjectState:
    with connection(db) as con:
        return read_state(con, url, project_id, kind)


@task(cache_policy=NO_CACHE)
def pull_changed_tasks(target: Target, project_id: int, since: datetime | None) -> tuple[list[dict], dict[int, str], datetime | None]:
    """Every task updated since ``since`` (with its annotations), the users by id, and the
    server's clock before the pull began (the next watermark)."""
    with target.client() as client:
        tasks, began = client.changed_tasks(project_id, since)
        return tasks, client.users(), began


@task(cache_policy=NO_CACHE)
def count_changed_tasks(target: Target, project_id: int, since: datetime | None) -> int:
    """How many tasks the pull will bring (one count call, before the export)."""
    with target.client() as client:
        return client.changed_task_count(project_id, since)


@task(cache_policy=NO_CACHE)
def find_deleted_tasks(target: Target, db: str, project_id: int, mapped_tasks: int, kind: TaskKind = CLAIM) -> list[int]:
    """Mapped tasks that no longer exist in Label Studio. One cheap count call (the project's
    tasks that carry a claim or pair id, so tasks added by hand to the same project do not hide
    a deletion), against the warehouse's ``mapped_tasks``; the mapping and the full id listing
    only when Label Studio has fewer."""
    with target.client() as client:
        if client.claim_task_count(project_id, kind.subject) >= mapped_tasks:
            return []
    with connection(db) as con:  # before the listing: a task mapped after it is never taken for deleted
        mapped = annotation_store.task_state(con, target.url, project_id, kind.tables)
    with target.client() as client:
        live = client.task_ids(project_id)
    return sorted(set(mapped) - live)


@task(cache_policy=NO_CACHE)
def land_annotations(
    ls_url: str, db: str, project_id: int, tasks: list[dict], users: dict[int, str], began: datetime | None, run_id: str,
    kind: TaskKind = CLAIM, force: frozenset[int] = frozenset(),
) -> dict:
    """Append changed annotations raw, flatten them into label rows, gate the rows with the
    expectation suites (good rows are upserted, failing ones quarantined with every reason),
    mark deleted ones and move the watermarks; one transaction. Tasks in ``force`` are landed
    even when their updated_at is the one landed last (the warehouse misses annotations of theirs)."""
    # Landing makes hundreds of thousands of small dicts and lists, none in cycles: the collector's
    # walks over them took 25 to 40 % of a 100,000-row land (bench/bench_quality.py).
    with collector.paused():
        # Read and written again from the start when another writer of a DuckLake catalog wins a conflict.
        return retry_conflicts(lambda: _land(ls_url, db, project_id, tasks, users, began, run_id, kind, force),
                               "landing the annotations")


def _land(
    ls_url: str, db: str, project_id: int, tasks: list[dict], users: dict[int, str], began: datetime | None, run_id: str,
    kind: TaskKind = CLAIM, force: frozenset[int] = frozenset(),
) -> dict:
    subject = kind.subject
    updated_at = {t["id"]: parse_time(t.get("updated_at")) for t in tasks}
    with connection(db) as con:
        state = annotation_store.task_state(con, ls_url, project_id, kind.tables)
        changed = {tid: u for tid, u in updated_at.items() if state.get(tid, (None, None))[1] != u or tid in force}
        landed, quarantined = annotation_store.label_versions(con, ls_url, list(changed), kind.tables)
    raw, rows, present = [], [], []
    for t in tasks:
        task_id = t["id"]
        if task_id not in changed:
            continue
        claim_id = state.get(task_id, (None, None))[0] or kind.subject_of(t.get("data"))
        for annotation in t.get("annotations") or []:
            annotation_id = annotation.get("id") if isinstance(annotation, dict) else None
            # Only an id that fits the tables identifies the annotation here; the gate names the rest.
            annotation_id = annotation_id if type(annotation_id) is int and -(2**31) <= annotation_id < 2**31 else None
            if annotation_id is not None:
                present.append(annotation_id)
            try:
                updated = parse_time(annotation.get("updated_at")) if isinstance(annotation, dict) else None
            except ValueError:
                updated = None
            if annotation_id is not None and annotation_id in landed and landed[annotation_id] == updated:
                continue  # landed already, unchanged
            pulled = {"task_id": task_id, "annotation_id": annotation_id, "updated_at": updated, "payload": annotation,
                      subject: claim_id}
            pulled["new"] = annotation_id is None or quarantined.get(annotation_id, _NEVER) != updated
            if pulled["new"]:
                raw.append(pulled)  # stored raw as pulled (its first four fields)
            # else: quarantined unchanged; validated again (what it failed may have gone), not stored raw twice
            try:
                pulled["label_row"] = kind.flatten(annotation, claim_id, users=users, task_id=task_id, project_id=project_id)
                pulled["reasons"] = []
            except MalformedAnnotation as exc:
                pulled["label_row"], pulled["reasons"] = {"payload_shape": str(exc)}, ["payload_shape"]
            rows.append(pulled)
    parsed = [r for r in rows if not r["reasons"]]
    # The next land starts where this pull began (the server's clock before it); without a server
    # clock, at the latest update seen.
    seen_until = began or max((u for u in updated_at.values() if u), default=None)
    at = annotation_store.now()
    from expectations.labels import describe_failure, gate_labels  # pandas and Great Expectations: only when there is a batch

    # One connection and one transaction for all that follows.
    with connection(db) as con, transaction(con):
        raw_count = annotation_store.append_raw(con, ls_url=ls_url, project_id=project_id, run_id=run_id, raw=raw, at=at)
        gate = gate_labels(con, ls_url, [r["label_row"] for r in parsed], present=present, gate=kind.gate)
        for i, r in enumerate(parsed):
            r["reasons"] = gate.failures.get(i, [])
        good = [r["label_row"] for r in rows if not r["reasons"]]
        bad = [r for r in rows if r["reasons"]]
        counts = annotation_store.land_labels(
            con, ls_url=ls_url, project_id=project_id, run_id=run_id, labels=good, quarantine=bad,
            changed=changed, present=present, seen_until=seen_until, at=at, tables=kind.tables,
        )
    failed = dict(gate.unexpected)
    unreadable = sum(1 for r in rows if r["reasons"] == ["payload_shape"])
    if unreadable:
        failed["payload_shape"] = unreadable
    details = [describe_failure(r["label_row"], r["reasons"], task_id=r["task_id"], gate=kind.gate) for r in bad if r["new"]]
    # A task counts as changed when one of its annotations did: an update of its data alone
    # (the resolve's own review mark) is pulled and checked, not counted.
    touched = {r["task_id"] for r in raw} | set(counts.pop("deleted_task_ids"))
    return counts | {"raw": raw_count, "tasks_changed": len(touched), "validated": len(rows), "failed_expectations": failed,
                     "validation_seconds": round(gate.seconds, 3), "quarantine_details": details}


@task(cache_policy=NO_CACHE)
def find_missing_annotations(target: Target, project_id: int, since: datetime | None, held: dict[int, int]) -> list[int]:
    """Tasks holding annotations in Label Studio that the warehouse does not hold (``held``: its
    counts by task), which the next pull would not bring either (updated before it starts): what
    a pull racing with annotators missed. One count call when the totals agree; Label Studio's
    per-task counts (one call per 1,000 tasks) only when the warehouse holds fewer annotations in
    all. ``since``: where the next pull starts (:attr:`ProjectState.since`); nothing before the
    first land (None): its pull brings everything.

    The totals hide a missing annotation only behind a quarantined one deleted in Label Studio
    since (the warehouse keeps its quarantine row)."""
    if since is None:
        return []
    with target.client() as client:
        if client.annotation_total(project_id) <= sum(held.values()):
            return []
        counts = client.annotation_counts(project_id)
    return sorted(t for t, (n, updated) in counts.items() if n > held.get(t, 0) and updated is not None and updated <= since)


@task(cache_policy=NO_CACHE)
def pull_tasks(target: Target, project_id: int, task_ids: list[int]) -> tuple[list[dict], dict[int, str]]:
    """These tasks with all their annotations, and the users by id."""
    with target.client() as client:
        return client.export_tasks(project_id, task_ids), client.users()


def recover_missing(target: Target, settings, kind: TaskKind, report: LandReport, state: ProjectState) -> bool:
    """Land the annotations of tasks whose annotations the warehouse misses (see
    :func:`find_missing_annotations`), counted into ``report``; a warning names how many.
    Whether it landed any."""
    db, project_id = str(settings.db), report.project_id
    missing = with_retries(find_missing_annotations, settings)(target, project_id, state.since, quote(state.held))
    if not missing:
        return False
    tasks, users = with_retries(pull_tasks, settings)(target, project_id, missing)
    counts = land_annotations(target.url, db, project_id, quote(tasks), users, None, report.run_id, kind, frozenset(missing))
    report.annotations_recovered = counts["raw"]
    report.annotations_pulled += counts["raw"]
    report.tasks_changed += counts["tasks_changed"]
    report.labels_new += counts["labels_new"]
    report.labels_updated += counts["labels_updated"]
    report.labels_deleted += counts["labels_deleted"]
    report.validated += counts["validated"]
    report.quarantined += counts["quarantined_new"]
    report.quarantine_resolved += counts["quarantine_resolved"]
    for name, n in counts["failed_expectations"].items():
        report.failed_expectations[name] = report.failed_expectations.get(name, 0) + n
    report.quarantine_details += counts["quarantine_details"]
    get_run_logger().warning(
        "%d annotations of %d tasks in Label Studio project %d were missing from the warehouse (no pull had brought "
        "them): landed now", counts["raw"], len(missing), project_id,
    )
    return True


def land_project(target: Target, settings, kind: TaskKind, report: LandReport, state: ProjectState | None = None) -> LandReport:
    """Pull and land the changed annotations of one project (claims or pairs: ``report.project_id``),
    counted into ``report`` (returned); ``state``: the project's, when the caller has just read it."""
    db, run_id, project_id = str(settings.db), report.run_id, report.project_id
    state = state or project_state(db, target.url, project_id, kind)
    # Great Expectations takes seconds to import: imported in a thread while Label Studio
    # exports, when one count call says something changed; a land with nothing new imports
    # nothing (bench/README.md: the cost of importing it, and why no process of its own).
    changing = with_retries(count_changed_tasks, settings)(target, project_id, state.since)
    if changing:  # else nothing to pull (what changes meanwhile is after the watermark, for the next land)
        from expectations.gate import prepare as prepare_gate

        warm_up = threading.Thread(target=prepare_gate, args=(kind.gate.suite,), name="gx-warm-up", daemon=True)
        warm_up.start()
        tasks, users, began = with_retries(pull_changed_tasks, settings)(target, project_id, state.since)
        warm_up.join()
        counts = land_annotations(target.url, db, project_id, quote(tasks), users, began, run_id, kind)
        report.tasks_changed = counts["tasks_changed"]
        report.annotations_pulled = counts["raw"]
        report.labels_new, report.labels_updated = counts["labels_new"], counts["labels_updated"]
        report.labels_deleted, report.validated = counts["labels_deleted"], counts["validated"]
        # Rows quarantined before and failing again are not counted twice (nor stored twice).
        report.quarantined, report.quarantine_resolved = counts["quarantined_new"], counts["quarantine_resolved"]
        report.failed_expectations = counts["failed_expectations"]
        report.quarantine_details = counts["quarantine_details"]
        state = project_state(db, target.url, project_id, kind)
    gone = with_retries(find_deleted_tasks, settings)(target, db, project_id, state.mapped_tasks, kind)
    if gone:
        report.labels_deleted += writing(db, lambda con: annotation_store.mark_tasks_deleted(con, target.url, project_id, gone, kind.tables),
                                         "marking deleted tasks' labels")
        state = project_state(db, target.url, project_id, kind)
    if recover_missing(target, settings, kind, report, state):
        state = project_state(db, target.url, project_id, kind)
    report.notices_changed = with_retries(notify_annotators, settings)(target, db, project_id, quote(state.notices), kind)
    return report


def _todo(reason: str, row: dict, gate) -> str:
    """What an annotator can do about one failed check, in words (the check's name where none is written)."""
    from annotation.tasks import ADVICE
    from expectations.labels import evidence_chars, length_limit

    todo = ADVICE.get(reason, f"the answer fails the check {reason}")
    if reason == "rationale_within_limit":
        todo += f" to at most {length_limit(reason, gate.suite):,} characters (it has {len(row.get('rationale') or ''):,})"
    elif reason == "evidence_within_limit":
        todo += f" to at most {length_limit(reason, gate.suite):,} characters (it has {evidence_chars(row):,})"
    elif reason == "evidence_urls_well_formed":
        bad = [u for u in row.get("evidence_urls") or [] if not str(u).lower().startswith(("http://", "https://"))]
        todo += f" (not a web address: {', '.join(bad[:3])})" if bad else ""
    return todo


@task(cache_policy=NO_CACHE)
def notify_annotators(target: Target, db: str, project_id: int, rows: list, kind: TaskKind = CLAIM) -> int:
    """Tell the annotators in the task itself (data.quarantine_html, shown at the top of the form)
    which of its answers were quarantined and what to fix, and clear the notice once every such
    answer, or a later answer of its annotator, has landed (``rows``: the project's
    :attr:`ProjectState.notices`). Only notices that change are written; returns how many were."""
    from annotation.tasks import QUARANTINE_FIELD, quarantine_html

    wanted = {}
    for task_id, current, answers in rows:
        notice = quarantine_html([(a["annotator"], [_todo(r, a["label_row"], kind.gate) for r in a["reasons"]]) for a in answers])
        if notice != current:
            wanted[task_id] = notice
    if not wanted:
        return 0
    with target.client() as client:
        outcome = client.set_task_field(project_id, QUARANTINE_FIELD, wanted)
    writing(db, lambda con: annotation_store.record_quarantine_notices(con, target.url, project_id, wanted, kind.tables),
            "recording the quarantine notices")
    return sum(1 for o in outcome.values() if o == "changed")


@task(cache_policy=NO_CACHE)
def find_claim_project(target: Target, title: str, overlap: int | None) -> int:
    """The claim project, found by its title: one call. Its labeling config, instructions, tab and
    overlap are the push's to keep up to date; only a land before any push makes the project (as
    the push would)."""
    with target.client() as client:
        found = client.find_project(title)
    if found is not None:
        return found
    from flows.push import open_project  # the push's module: imported only for the rare land before any push

    return open_project.fn(target, title, overlap)


@task(cache_policy=NO_CACHE)
def find_pair_project(target: Target, title: str) -> int | None:
    """The pair project, found by its title (a land never creates one)."""
    with target.client() as client:
        return client.find_project(title)


def _check_quarantine_share(report: LandReport, settings, what: str) -> None:
    if over_quarantine_limit(report, settings):
        first = "; ".join(report.quarantine_details[:3])
        raise QuarantineLimitExceeded(
            f"{report.quarantined} of {report.validated} {what} annotations pulled ({report.quarantined_share:.0%}) failed "
            f"the expectation suites, more than CLAIMFLOW_MAX_QUARANTINE_SHARE={settings.max_quarantine_share:.0%} "
            f"(and at least CLAIMFLOW_QUARANTINE_MIN_ROWS={settings.quarantine_min_rows}): {first}"
            f"{'; ...' if len(report.quarantine_details) > 3 else ''}. Good rows landed; see labels_quarantine."
        )


@flow(name="land")
def land_flow(db: str | None = None, resolve: bool = True) -> LandReport:
    """Pull the annotations changed in Label Studio since the last land into the warehouse,
    through the expectation suites (claims, then claim pairs); then resolve verdicts, pair
    relations and agreement."""
    run = this_run("land", db=db)
    settings = run.settings
    target = resolve_target(settings)
    report = LandReport(run_id=run.id, url=target.url)
    parameters = {"url": target.url, "project": settings.ls_project, "pair_project": settings.ls_pair_project}
    with run.recorded(report, parameters):
        report.project_id = with_retries(find_claim_project, settings)(target, settings.ls_project, settings.overlap)
        with connection(run.db) as con:  # one read: the claim project's state, and whether pairs were ever pushed here
            state = read_state(con, target.url, report.project_id, CLAIM)
            pairs_pushed = bool(annotation_store.mapped_projects(con, target.url, PAIR.tables))
        land_project(target, settings, CLAIM, report, state)
        pair_project = with_retries(find_pair_project, settings)(target, settings.ls_pair_project) if pairs_pushed else None
        if pair_project is not None:
            report.pairs = land_project(target, settings, PAIR, LandReport(run_id=run.id, url=target.url, project_id=pair_project))
        if report.did_something:  # the artifact keeps the counts of the last land that did
            publish_counts(report)
        _check_quarantine_share(report, settings, "claim")
        if report.pairs is not None:
            _check_quarantine_share(report.pairs, settings, "pair")
    if resolve and not up_to_date(settings):  # nothing changed since the last resolve: nothing to redo
        report.verdicts = resolve_flow(db=run.settings.db_parameter)
    return report


def over_quarantine_limit(report: LandReport, settings) -> bool:
    """More than CLAIMFLOW_MAX_QUARANTINE_SHARE of the batch newly quarantined, and at least
    CLAIMFLOW_QUARANTINE_MIN_ROWS rows: a handful of typos never fails a land (each is named)."""
    return report.quarantined >= max(settings.quarantine_min_rows, 1) and report.quarantined_share > settings.max_quarantine_share


def publish_counts(report: LandReport) -> None:
    """The land's counts (and every failed expectation) as a Prefect table artifact. A land that
    did nothing publishes none: a land every few minutes would bury the last counts under zeros."""
    rows = [{"count": k, "value": v} for k, v in report.counts().items() if k != "failed_expectations"]
    rows += [{"count": f"failed: {name}", "value": n} for name, n in sorted(report.failed_expectations.items())]
    if report.pairs is not None:
        rows += [{"count": f"pair failed: {name}", "value": n} for name, n in sorted(report.pairs.failed_expectations.items())]
    create_table_artifact(
        key="land-counts", table=rows, description=f"Land of {report.url} project {report.project_id}"
    )
