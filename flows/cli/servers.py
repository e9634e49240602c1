"""The servers' commands: the local Label Studio, the local Prefect server and the local PostgreSQL
(start, stop, status), and ``serve``, which runs the flows on their schedules and Label Studio's
webhooks."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from flows.cli.app import command, group
from flows.cli.common import DbOption, announce, err, fail, label_studio, load_settings, out, print_login

labelstudio = group("labelstudio", "The local Label Studio server (the embedded default).")
prefect = group("prefect", "The local Prefect server (the embedded default) that every command uses.")
postgres = group(
    "postgres", "The local PostgreSQL: a private cluster for Label Studio and Prefect (CLAIMFLOW_SERVERS_DATABASE=postgres) "
    "and for a DuckLake catalog.",
)


def _print_status(status) -> None:
    """A local server's state, address and log, and why it does not run there (another process on
    the port, or the server on another port); exit status 1 if it does not run."""
    state = "running" if status.running else "not running"
    note = f"; {status.note}" if status.note else ""
    out.print(f"{state}: {status.url}{f' (pid {status.pid})' if status.pid else ''}{note}; log {status.log_file}", highlight=False)
    if not status.running:
        raise typer.Exit(1)


@command("start", on=labelstudio, runs_flows=False)
def labelstudio_start() -> None:
    """Start the local Label Studio on 127.0.0.1 (or reuse the running one) and print its URL and where the login is. The first start takes up to a minute."""
    settings = load_settings()
    if not settings.uses_local_label_studio:
        fail(f"LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set: claimflow uses {settings.ls_url}, not a local server")
    from flows.labelstudio import local_server

    status, started = local_server(settings).start(timeout=settings.ls_start_timeout, announce=announce)
    out.print(f"Label Studio {'started' if started else 'already running'} at {status.url} (pid {status.pid})", highlight=False)
    print_login(label_studio(settings))


@command("stop", on=labelstudio, runs_flows=False)
def labelstudio_stop() -> None:
    """Stop the local Label Studio."""
    from flows.labelstudio import local_server

    out.print("stopped" if local_server(load_settings()).stop() else "not running")


@command("status", on=labelstudio, runs_flows=False)
def labelstudio_status() -> None:
    """Say whether the local Label Studio runs, and where."""
    settings = load_settings()
    if not settings.uses_local_label_studio:
        out.print(f"external Label Studio: {settings.ls_url}", highlight=False)
        return
    from flows.labelstudio import local_server

    _print_status(local_server(settings).status())


@command("start", on=prefect, runs_flows=False)
def prefect_start() -> None:
    """Start the local Prefect server on 127.0.0.1 (or reuse the running one), with its database in CLAIMFLOW_PREFECT_DATA_DIR, and print its UI's URL. Commands start it themselves when they need it."""
    from flows.prefect_local import configured_api_url, local_prefect

    settings = load_settings()
    if configured := configured_api_url():
        err.print(f"note: PREFECT_API_URL={configured} is set, so commands use that server, not this one", highlight=False)
    status, started = local_prefect(settings).start(timeout=settings.prefect_start_timeout, announce=announce)
    out.print(f"Prefect {'started' if started else 'already running'} at {status.url} (pid {status.pid}); log {status.log_file}", highlight=False)


@command("stop", on=prefect, runs_flows=False)
def prefect_stop() -> None:
    """Stop the local Prefect server (its run history stays in its database)."""
    from flows.prefect_local import local_prefect

    out.print("stopped" if local_prefect(load_settings()).stop() else "not running")


@command("status", on=prefect, runs_flows=False)
def prefect_status() -> None:
    """Say whether the local Prefect server runs, and where; exit status 1 if it does not."""
    from flows.prefect_local import configured_api_url, local_prefect

    if configured := configured_api_url():
        out.print(f"PREFECT_API_URL is set: commands use {configured}", highlight=False)
    _print_status(local_prefect(load_settings()).status())


@command("start", on=postgres, runs_flows=False)
def postgres_start() -> None:
    """Start the local PostgreSQL on 127.0.0.1 (or reuse the running one): the first start creates the cluster in CLAIMFLOW_POSTGRES_DATA_DIR with a generated password (kept in a file readable by you only, never printed) and the databases of Label Studio, Prefect and a DuckLake catalog."""
    from flows.postgres_local import local_postgres

    server = local_postgres(load_settings())
    status, started = server.start(announce=announce)
    out.print(f"PostgreSQL {'started' if started else 'already running'} at {status.url} (pid {status.pid}); "
              f"user {server.user}, the password is in {server.pgpass_file} (readable by you only); log {status.log_file}",
              highlight=False)


@command("stop", on=postgres, runs_flows=False)
def postgres_stop() -> None:
    """Stop the local PostgreSQL (stop Label Studio and Prefect on it first: their sessions are ended)."""
    from flows.postgres_local import local_postgres

    out.print("stopped" if local_postgres(load_settings()).stop() else "not running")


@command("status", on=postgres, runs_flows=False)
def postgres_status() -> None:
    """Say whether the local PostgreSQL runs, and where; exit status 1 if it does not."""
    from flows.postgres_local import local_postgres

    _print_status(local_postgres(load_settings()).status())


@command("env", on=postgres, runs_flows=False)
def postgres_env() -> None:
    """Print shell lines that point the warehouse at a DuckLake catalog on the local PostgreSQL (CLAIMFLOW_DB, with PGPASSFILE naming the password file, and CLAIMFLOW_DUCKLAKE_DATA_PATH under the data folder): `eval "$(claimflow postgres env)"`. The password itself is not printed."""
    import os
    import shlex

    from flows.postgres_local import local_postgres

    server = local_postgres(load_settings())
    pgpass = server.write_pgpass()
    data_path = Path(os.environ.get("CLAIMFLOW_DUCKLAKE_DATA_PATH") or server.data_dir.parent / "lake").resolve()
    for name, value in (("PGPASSFILE", str(pgpass)), ("CLAIMFLOW_DB", server.ducklake()),
                        ("CLAIMFLOW_DUCKLAKE_DATA_PATH", str(data_path))):
        out.print(f"export {name}={shlex.quote(value)}", highlight=False, markup=False)  # shell text, as is


@command(runs_flows=True)
def serve(
    db: DbOption = None,
    inbox: Annotated[Optional[Path], typer.Option(help="Folder of new article files [env CLAIMFLOW_INBOX, default data/inbox].")] = None,
    webhooks: Annotated[bool, typer.Option(help="Run the webhook receiver and register it on the Label Studio project.")] = True,
) -> None:
    """Run the flows on their schedules until stopped: ingest new files from the inbox folder, push, and land with resolve (CLAIMFLOW_SCHEDULE_*: seconds, cron, or off), and land within seconds of each annotation through Label Studio's webhooks. Stopping it pauses the schedules."""
    from flows.prefect_local import ui_url
    from flows.serve import DEPLOYMENTS, schedule_of, serve_all, webhook_url

    # A corrupt or unreadable warehouse fails here, in one line, not every scheduled run later.
    settings = load_settings(db=db, inbox=inbox, open_warehouse=True)
    for entry in DEPLOYMENTS:
        value = getattr(settings, entry.schedule)
        when = schedule_of(value)
        shown = "off" if when is None else (f"every {value} s" if "interval" in when else f"cron {value}")
        if entry.name == "ingest-inbox" and when is not None:
            try:
                settings.inbox.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                fail(f"cannot create the inbox folder {settings.inbox} ({exc.strerror or exc}); set CLAIMFLOW_INBOX or --inbox")
            shown += f", new article files in {settings.inbox.resolve()}"
        out.print(f"{entry.name}: {shown}", highlight=False)
    if webhooks and webhook_url(settings):
        out.print(f"webhooks: {webhook_url(settings)} (land after each burst of annotation changes)", highlight=False)
    out.print(f"Watch the flow runs in Prefect: {ui_url()}; stop with Ctrl-C", highlight=False)
    try:
        serve_all(settings, with_webhooks=webhooks and webhook_url(settings) is not None)
    except ValueError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"cannot listen for webhooks on 127.0.0.1:{settings.webhook_port} ({exc.strerror or exc}); set CLAIMFLOW_WEBHOOK_PORT")
