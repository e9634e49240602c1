"""The resolve flow: labels become one verdict per claim, agreement figures, and review marks in
Label Studio for the claims people disagree on."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from annotation.agreement import ResolvePolicy, krippendorff_alpha, pairwise, resolve
from annotation.config import claim_controls, pair_controls
from annotation.tasks import REVIEW_FIELD
from expectations.gate import validate
from flows.labelstudio import Target, resolve_target, with_retries
from flows.runs import this_run
from flows.settings import Settings
from warehouse import annotations as annotation_store, resolution
from warehouse.db import connection, writing

if TYPE_CHECKING:  # pandas is imported by a resolve that runs, not by a land that needs none
    import pandas as pd

MARKS_PER_WRITE = 200  # review marks read, written and recorded in the warehouse per batch
VERDICTS_SUITE = "verdicts"


class VerdictsInvalid(RuntimeError):
    """Resolved verdicts failed their expectation suite (a bug, not bad input): nothing was written."""


@dataclass
class ResolveReport:
    run_id: str
    claims: int = 0
    resolved: int = 0
    needs_review: int = 0
    open: int = 0
    method: str | None = None
    project_alpha: dict = field(default_factory=dict)
    pairs: int = 0
    pairs_resolved: int = 0
    pairs_needs_review: int = 0
    pairs_open: int = 0
    pair_alpha: dict = field(default_factory=dict)
    marks_changed: int = 0
    seconds: float = 0.0

    def counts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("run_id", "seconds")}


def agreement_rows(labels: pd.DataFrame, verdicts: list[str], *, pairs: bool = False) -> pd.DataFrame:
    """Krippendorff's alpha per project and per article (per pair project for pair labels)."""
    import pandas as pd

    rows = []
    project = labels["ls_url"] + " " + labels["project_id"].astype(str)
    scopes = [("pair_project", project)] if pairs else [("project", project), ("article", labels["article_id"])]
    for scope, keys in scopes:
        for key, group in labels.groupby(keys):
            alpha, n_claims = krippendorff_alpha(group, verdicts)
            rows.append({"scope": scope, "scope_id": key, "alpha": alpha, "n_claims": n_claims, "n_annotations": len(group)})
    return pd.DataFrame(rows, columns=["scope", "scope_id", "alpha", "n_claims", "n_annotations"])


@task(cache_policy=NO_CACHE)
def compute(db: str, policy: ResolvePolicy, run_id: str) -> ResolveReport:
    """Verdicts, agreement and pairs from the labels, validated, then written in one transaction."""
    import pandas as pd

    with connection(db) as con:
        labels = resolution.labels_for_resolution(con)
        pair_labels = resolution.pair_labels_for_resolution(con)
    verdicts = resolve(labels, policy)
    checked = validate(VERDICTS_SUITE, verdicts.drop(columns=["votes"]))
    if not checked.success:
        raise VerdictsInvalid(f"resolved verdicts failed their suite: {checked.unexpected}")
    agreement = agreement_rows(labels, claim_controls().verdict.choices)
    # Pairs resolve as claims do: their relations are the verdicts.
    as_claims = pair_labels.rename(columns={"pair_id": "claim_id", "relation": "verdict"})
    pair_verdicts = resolve(as_claims, policy).rename(columns={"claim_id": "pair_id", "verdict": "relation"})
    pair_agreement = agreement_rows(as_claims, list(pair_controls().relations), pairs=True)
    agreements, pairs = pd.concat([agreement, pair_agreement], ignore_index=True), pairwise(labels)
    writing(db, lambda con: resolution.replace_results(con, verdicts=verdicts, agreement=agreements, pairs=pairs, run_id=run_id,
                                                       pair_verdicts=pair_verdicts), "storing the verdicts")
    report = ResolveReport(run_id=run_id, claims=len(verdicts), pairs=len(pair_verdicts))
    status = verdicts["status"].value_counts().to_dict()
    report.resolved, report.needs_review, report.open = (int(status.get(s, 0)) for s in ("resolved", "needs_review", "open"))
    status = pair_verdicts["status"].value_counts().to_dict()
    report.pairs_resolved, report.pairs_needs_review, report.pairs_open = (
        int(status.get(s, 0)) for s in ("resolved", "needs_review", "open")
    )
    report.pair_alpha = {r.scope_id: r.alpha for r in pair_agreement.itertuples()}
    report.method = str(verdicts["method"].iloc[0]) if len(verdicts) else None
    report.project_alpha = {r.scope_id: r.alpha for r in agreement.itertuples() if r.scope == "project"}
    return report


@task(cache_policy=NO_CACHE)
def mark_reviews(target: Target, db: str, concurrency: int = 8) -> int:
    """Set data.review on the tasks whose claims need review (and clear it once they do not):
    only tasks whose recorded mark differs are read, only those whose mark in Label Studio
    differs are written (200 in one call, or ``concurrency`` PATCHes at once on a server without
    the bulk action: LabelStudioClient.set_task_field). Returns how many were written."""
    with connection(db) as con:
        projects = annotation_store.mapped_projects(con, target.url)
        marks = {p: resolution.review_marks(con, target.url, p) for p in projects}
    changed = 0
    with target.client() as client:
        client.concurrency = concurrency
        for project, wanted in marks.items():
            for start in range(0, len(wanted), MARKS_PER_WRITE):
                batch = dict(wanted[start : start + MARKS_PER_WRITE])
                outcome = client.set_task_field(project, REVIEW_FIELD, batch)
                changed += sum(1 for o in outcome.values() if o == "changed")
                # What Label Studio has (a deleted task has no mark to change: done too), so
                # that a failed run does not redo it.
                marked = [(project, t, m) for t, m in batch.items()]
                writing(db, lambda con: resolution.record_review_marks(con, target.url, marked), "recording the review marks")
    return changed


def policy_of(settings: Settings) -> ResolvePolicy:
    return ResolvePolicy(
        overlap=settings.overlap, min_agreement=settings.min_agreement, dawid_skene_min_claims=settings.dawid_skene_min_claims
    )


def policy_key(settings: Settings) -> str:
    return json.dumps(asdict(policy_of(settings)), sort_keys=True)


def up_to_date(settings: Settings) -> bool:
    """Whether the latest completed resolve (that marked tasks) read the labels as they are now,
    with the same policy: then resolving again would change nothing."""
    with connection(settings.db) as con:
        inputs = resolution.resolution_inputs(con)
        last_inputs, last_policy = resolution.last_resolution(con)
    return last_inputs == inputs and last_policy == policy_key(settings)


@flow(name="resolve")
def resolve_flow(db: str | None = None, mark: bool = True) -> ResolveReport:
    """Resolve a verdict per claim, measure agreement, and mark claims needing review in Label Studio."""
    run = this_run("resolve", db=db)
    settings = run.settings
    with connection(settings.db) as con:
        inputs = resolution.resolution_inputs(con)
    parameters = {"mark": mark, "inputs": inputs, "policy": policy_key(settings)}
    with run.recorded(ResolveReport(run_id=run.id), parameters):
        report = run.report = compute(run.db, policy_of(settings), run.id)
        if mark:
            report.marks_changed = with_retries(mark_reviews, settings)(resolve_target(settings), run.db, settings.ls_concurrency)
    return report
