"""The pipeline's commands: each runs one flow (ingest, match, push, land, resolve, report,
rescore, or the main job that runs them in turn) and prints its report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.cli.app import command
from flows.cli.common import (
    DbOption,
    ModelOption,
    existing_warehouse,
    fail,
    flow_db,
    label_studio,
    load_flow,
    load_settings,
    out,
    print_annotate_at,
    print_counts,
    print_ingest,
    print_land,
    print_login,
)

# Queries the commands suggest trying next (shown to people, not run).
TRY_PAIRS_SQL = "SELECT round(contradiction, 2) AS contradiction, claim_a, claim_b FROM candidate_contradictions LIMIT 10"
TRY_SQL = "SELECT article_title, round(score, 2) AS score, claim_type, claim FROM claim_overview ORDER BY score DESC LIMIT 10"


@command(runs_flows=True)
def ingest(
    paths: Annotated[list[str], typer.Argument(help="Files, folders or glob patterns of .txt, .md, .html or .jsonl articles.")],
    db: DbOption = None,
    model: ModelOption = None,
) -> None:
    """Read articles, extract and score their claims, and land them in the warehouse.

    Re-ingesting an article adds nothing. Files that cannot be read are reported and recorded in the ingest_failures table; the others are still ingested, and the exit status is 1."""
    settings = load_settings(db=db, spacy_model=model)
    ingest_flow = load_flow("flows.ingest", "ingest_flow", settings)
    report = ingest_flow(paths=list(paths), db=flow_db(settings), spacy_model=settings.spacy_model)
    print_ingest(report)
    if not report.ok:
        raise typer.Exit(1)


@command(runs_flows=True)
def run(
    paths: Annotated[Optional[list[str]], typer.Argument(help="Articles to ingest [default: the bundled sample articles].")] = None,
    db: DbOption = None,
    model: ModelOption = None,
) -> None:
    """The main job: start or reuse the local Label Studio, ingest the articles (the bundled samples by default), push the check-worthy claims, land the annotations, and summarise."""
    from flows.settings import SAMPLE_ARTICLES

    settings = load_settings(db=db, spacy_model=model)
    target = label_studio(settings)
    run_flow = load_flow("flows.main", "run_flow", settings)
    report = run_flow(paths=[str(p) for p in (paths or [SAMPLE_ARTICLES])], db=flow_db(settings), spacy_model=settings.spacy_model)
    print_ingest(report.ingest)
    print_counts("match", report.match.counts())
    print_counts("push", report.push.counts())
    print_land(report.land)
    _print_warehouse_summary(settings)
    _print_where_to_annotate(target, report.push)
    out.print("Then land the verdicts: claimflow land", highlight=False)
    from flows.prefect_local import ui_url

    out.print(f"Watch the flow runs in Prefect: {ui_url()}", highlight=False)
    out.print(f"Try: claimflow sql \"{TRY_SQL}\"", highlight=False)
    if not report.ingest.ok:
        raise typer.Exit(1)


def _print_warehouse_summary(settings) -> None:
    """The articles with their claims' progress, the labels and the claim pairs, after a run."""
    from rich.table import Table

    from warehouse.db import connection, sql

    with connection(settings.db, read_only=True) as con:
        rows = con.execute(sql("run_articles")).fetchall()
        labels = con.execute(sql("live_label_count")).fetchone()[0]
        pairs, candidates = con.execute(sql("pair_counts"), {"threshold": settings.pair_push_threshold}).fetchone()
    table = Table(title=f"articles in {settings.db_name}", title_justify="left")
    for col in ("title", "claims", "mean score", "pushed", "resolved", "needs review"):
        table.add_column(col)
    for title, n, mean, pushed, resolved, review in rows:
        table.add_row(title or "", str(n), f"{mean:.2f}" if mean is not None else "-", str(pushed), str(resolved), str(review))
    out.print(table)
    out.print(f"Labels in the warehouse: {labels}")
    out.print(f"Claim pairs across articles: {pairs}, of which {candidates} may contradict", highlight=False)


def _print_where_to_annotate(target, push_report) -> None:
    """The projects' labeling links after a push, and where the local login is."""
    print_annotate_at(target, push_report.project_id)
    if push_report.pairs is not None:
        print_annotate_at(target, push_report.pairs.project_id, "Judge pairs at")
    print_login(target)


@command(runs_flows=True)
def match(
    db: DbOption = None,
    rematch: Annotated[bool, typer.Option(help="Match every claim again (after a new matcher): pairs found again get the new scores.")] = False,
) -> None:
    """Pair claims of different articles that speak of the same thing: each claim not matched yet gets its embedding (once) and its nearest claims of other articles, each pair a similarity, a contradiction score and the reasons for both (table claim_pairs). A re-run adds nothing."""
    settings = load_settings(db=db)
    match_flow = load_flow("flows.match", "match_flow", settings)
    report = match_flow(db=flow_db(settings), rematch=rematch)
    print_counts("match", report.counts() | {"seconds": f"{report.seconds:.1f}"})
    out.print(f"Try: claimflow sql \"{TRY_PAIRS_SQL}\"", highlight=False)


@command(runs_flows=True)
def push(
    db: DbOption = None,
    threshold: Annotated[Optional[float], typer.Option(help="Push claims scoring at least this [env CLAIMFLOW_PUSH_THRESHOLD, default 0.4].")] = None,
) -> None:
    """Send the claims at or above the threshold that are not in Label Studio yet as tasks, with the model's score as a prediction. A second push creates nothing."""
    settings = load_settings(db=db, push_threshold=threshold)
    target = label_studio(settings)
    push_flow = load_flow("flows.push", "push_flow", settings)
    report = push_flow(db=flow_db(settings), threshold=settings.push_threshold)
    print_counts("push", report.counts() | {"seconds": f"{report.seconds:.1f}"})
    _print_where_to_annotate(target, report)


@command(runs_flows=True)
def land(db: DbOption = None) -> None:
    """Pull the annotations changed in Label Studio since the last land into the labels table (raw JSON kept in annotations_raw); edited annotations replace their row, deleted ones are marked deleted."""
    settings = load_settings(db=db)
    label_studio(settings)
    land_flow = load_flow("flows.land", "land_flow", settings)
    report = land_flow(db=flow_db(settings))
    print_land(report)


@command(runs_flows=True)
def resolve(
    db: DbOption = None,
    mark: Annotated[bool, typer.Option(help="Mark the tasks of claims needing review in Label Studio (data.review).")] = True,
) -> None:
    """Resolve one verdict per claim from its labels (majority vote, or Dawid-Skene with enough data), measure agreement (Krippendorff's alpha per project and article, pairwise kappa), and mark ties and low agreement for review. `land` runs this after every land."""
    settings = load_settings(db=db)
    if mark:
        label_studio(settings)
    resolve_flow = load_flow("flows.resolve", "resolve_flow", settings)
    report = resolve_flow(db=flow_db(settings), mark=mark)
    print_counts("verdicts", report.counts() | {"seconds": f"{report.seconds:.1f}"})


@command(runs_flows=True)
def report(
    out_dir: Annotated[Path, typer.Option("--out", help="Folder to write the report into.")] = Path("data/report"),
    db: DbOption = None,
) -> None:
    """Write an HTML report (verdicts per source, agreement, annotators, claims needing review, quarantine over time, with charts) and the Great Expectations data docs of the warehouse's tables."""
    settings = existing_warehouse(db)
    report_flow = load_flow("flows.report", "report_flow", settings)
    output = report_flow(out=str(out_dir), db=flow_db(settings))
    out.print(f"Report: {output.page.resolve()}\nData docs: {output.data_docs.resolve()}", highlight=False)


@command(runs_flows=True)
def morning(
    day: Annotated[Optional[str], typer.Option("--date", help="The day (YYYY-MM-DD) [default: today].")] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Folder for the page [env CLAIMFLOW_REPORT_DIR, default data/report].")] = None,
    db: DbOption = None,
) -> None:
    """Write the desk's morning list: the day's most check-worthy new claims grouped by story, each marked "checked before" (with the fact-check's rating) or "other sources say otherwise", to table morning_list and as an HTML page (`claimflow serve` makes it on CLAIMFLOW_SCHEDULE_MORNING, 06:00 by default)."""
    from datetime import date

    if day is not None:
        try:
            date.fromisoformat(day)
        except ValueError:
            fail(f"--date {day!r}: not a date; give YYYY-MM-DD")
    settings = existing_warehouse(db)
    morning_flow = load_flow("flows.morning", "morning_flow", settings)
    report = morning_flow(db=flow_db(settings), report_dir=str(out_dir) if out_dir else None, day=day)
    print_counts("morning", report.counts())
    out.print(f"Morning list: {Path(report.page).resolve()}", highlight=False)


@command(runs_flows=True)
def rescore(
    db: DbOption = None,
    scorer: Annotated[Optional[str], typer.Option(help="'model' (the shipped encoder), 'tfidf', a model folder, or 'rules-v1' [env CLAIMFLOW_SCORER, default model].")] = None,
) -> None:
    """Score every claim in the warehouse again (after `claimflow train`, say). Pushed claims keep their tasks; the next push sends the claims that now reach the threshold."""
    settings = load_settings(db=db, scorer=scorer)
    rescore_flow = load_flow("flows.rescore", "rescore_flow", settings)
    report = rescore_flow(db=flow_db(settings), scorer=settings.scorer)
    print_counts("rescore", report.counts())
