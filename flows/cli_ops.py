"""Commands for operating claimflow (issue 13): the local Prefect server, `serve`, and `export`.
Registered on the main command line by :func:`register`."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated, Optional

import typer

# flows.cli imports this module to register its commands, so its helpers are imported in each
# command (importing them here would be circular).
DbOption = Annotated[
    Optional[Path], typer.Option("--db", help="DuckDB file [env CLAIMFLOW_DB, default data/claimflow.duckdb].")
]

prefect_app = typer.Typer(help="The local Prefect server (the embedded default) that every command uses.", no_args_is_help=True)


@prefect_app.command("start")
def prefect_start() -> None:
    """Start the local Prefect server on 127.0.0.1 (or reuse the running one), with its database in CLAIMFLOW_PREFECT_DATA_DIR, and print its UI's URL. Commands start it themselves when they need it."""
    from flows.cli import _fail, _settings, err, out
    from annotation.errors import ServerStartError
    from flows.prefect_local import configured_api_url, local_prefect

    settings = _settings()
    if configured := configured_api_url():
        err.print(f"note: PREFECT_API_URL={configured} is set, so commands use that server, not this one", highlight=False)
    try:
        status, started = local_prefect(settings).start(timeout=settings.prefect_start_timeout)
    except ServerStartError as exc:
        _fail(str(exc))
    out.print(f"Prefect {'started' if started else 'already running'} at {status.url} (pid {status.pid}); log {status.log_file}", highlight=False)


@prefect_app.command("stop")
def prefect_stop() -> None:
    """Stop the local Prefect server (its run history stays in its database)."""
    from flows.cli import _settings, out
    from flows.prefect_local import local_prefect

    out.print("stopped" if local_prefect(_settings()).stop() else "not running")


@prefect_app.command("status")
def prefect_status() -> None:
    """Say whether the local Prefect server runs, and where; exit status 1 if it does not."""
    from flows.cli import _settings, out
    from flows.prefect_local import configured_api_url, local_prefect

    if configured := configured_api_url():
        out.print(f"PREFECT_API_URL is set: commands use {configured}", highlight=False)
    status = local_prefect(_settings()).status()
    state = "running" if status.running else "not running"
    out.print(f"{state}: {status.url}{f' (pid {status.pid})' if status.pid else ''}; log {status.log_file}", highlight=False)
    if not status.running:
        raise typer.Exit(1)


def serve(
    db: DbOption = None,
    inbox: Annotated[Optional[Path], typer.Option(help="Folder of new article files [env CLAIMFLOW_INBOX, default data/inbox].")] = None,
    webhooks: Annotated[bool, typer.Option(help="Run the webhook receiver and register it on the Label Studio project.")] = True,
) -> None:
    """Run the flows on their schedules until stopped: ingest new files from the inbox folder, push, and land with resolve (CLAIMFLOW_SCHEDULE_*: seconds, cron, or off), and land within seconds of each annotation through Label Studio's webhooks. Stopping it pauses the schedules."""
    from flows.cli import _fail, _settings, out
    from annotation.errors import AnnotationError
    from flows.serve import DEPLOYMENTS, schedule_of, serve_all, webhook_url

    settings = _settings(db=db, inbox=inbox)
    for entry in DEPLOYMENTS:
        value = getattr(settings, entry.schedule)
        when = schedule_of(value)
        shown = "off" if when is None else (f"every {value} s" if "interval" in when else f"cron {value}")
        out.print(f"{entry.name}: {shown}", highlight=False)
    if webhooks and webhook_url(settings):
        out.print(f"webhooks: {webhook_url(settings)} (land after each burst of annotation changes)", highlight=False)
    from flows.prefect_local import ui_url

    out.print(f"Watch the flow runs in Prefect: {ui_url()}; stop with Ctrl-C", highlight=False)
    try:
        serve_all(settings, with_webhooks=webhooks and webhook_url(settings) is not None)
    except (AnnotationError, ValueError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"cannot listen for webhooks on 127.0.0.1:{settings.webhook_port} ({exc.strerror or exc}); set CLAIMFLOW_WEBHOOK_PORT")


class ExportFormat(str, Enum):
    parquet = "parquet"
    csv = "csv"
    claimreview = "claimreview"


def export(
    fmt: Annotated[ExportFormat, typer.Option("--format", help="parquet or csv (one file per table and view), or claimreview (schema.org JSON-LD).")],
    out_path: Annotated[Path, typer.Option("--out", help="Folder for parquet and csv; a .json / .jsonld file for claimreview.")],
    db: DbOption = None,
) -> None:
    """Export the warehouse: every table and analyst view as Parquet or CSV files (one each, found in DuckDB's catalog), or one schema.org ClaimReview per resolved verdict as JSON-LD."""
    from flows.cli import _existing_warehouse, _fail, out
    from warehouse import export as exporter
    from warehouse.db import connection
    from warehouse.errors import WarehouseError

    settings = _existing_warehouse(db)
    try:
        with connection(settings.db) as con:  # a write connection brings the schema and views up to date
            if fmt is ExportFormat.claimreview:
                publisher = exporter.Publisher(
                    settings.claimreview_organization, settings.claimreview_base_url, settings.claimreview_organization_url
                )
                n, path = exporter.write_claim_reviews(con, out_path, publisher)
                out.print(f"{n} ClaimReview item(s) written to {path}", highlight=False)
                return
            written = exporter.export_relations(con, out_path, fmt.value)
    except (WarehouseError, OSError) as exc:
        _fail(str(exc))
    for name, rows, path in written:
        out.print(f"{name}: {rows} rows -> {path}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(prefect_app, name="prefect")
    app.command()(serve)
    app.command()(export)
