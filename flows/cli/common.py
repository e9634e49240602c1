"""What the command modules share: the consoles, the ``--db`` and ``--model`` options, the
settings, flows and Label Studio a command uses, and the way outcomes are printed.

Heavy modules (pydantic settings, Prefect, the flows, DuckDB) are imported inside the functions,
so that ``--help`` and the commands that need none of them stay quick."""

from __future__ import annotations

import threading
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, NoReturn, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from typer.core import TyperCommand

from flows import collector, logs

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DbOption = Annotated[
    Optional[str], typer.Option(
        "--db", help="DuckDB file [env CLAIMFLOW_DB, default data/claimflow.duckdb], or a DuckLake catalog 'ducklake:postgres:...'."
    )
]
ModelOption = Annotated[
    Optional[str], typer.Option("--model", help="spaCy pipeline [env CLAIMFLOW_SPACY_MODEL].")
]


_runs_flows: ContextVar[bool] = ContextVar("claimflow_command_runs_flows", default=False)


class FlowCommand(TyperCommand):
    """A command that runs Prefect flows: while it runs, :func:`load_settings` points Prefect at
    a server, the local one started if need be. Commands of any other class never start one."""

    def invoke(self, ctx):
        token = _runs_flows.set(True)
        try:
            return super().invoke(ctx)
        finally:
            _runs_flows.reset(token)


def fail(message: str) -> NoReturn:
    """Print one error line (passwords masked) and exit 1."""
    from warehouse.masking import mask

    err.print(f"[red]error:[/red] {escape(mask(message))}", highlight=False, soft_wrap=True)
    raise typer.Exit(1)


# -- settings, warehouse, flows, Label Studio ------------------------------------------------------


def load_settings(*, open_warehouse: bool = False, **overrides):
    """The settings (environment, then ``overrides``), or one line naming the invalid one. The
    log file is opened where they say; with ``open_warehouse`` the warehouse is opened once (and
    created if need be), so that a corrupt or unreadable one fails now (one that another process
    is writing is fine); a command that runs flows points Prefect at the configured server, or at
    the local one, started now (before prefect is imported: it reads its settings at import). A
    server that cannot start is a named error: one line."""
    from pydantic import ValidationError

    from flows.settings import get_settings

    try:
        settings = get_settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = first["msg"].removeprefix("Value error, ")
        fail(f"invalid setting: {first['loc'][0]}: {message}" if first["loc"] else f"invalid settings: {message}")
    logs.capture(settings.log_path)
    if open_warehouse:
        from warehouse.db import connection
        from warehouse.errors import DatabaseLocked

        try:
            with connection(settings.db):
                pass
        except DatabaseLocked:
            pass
    if _runs_flows.get():
        from flows.prefect_local import use_prefect

        use_prefect(settings, announce=announce)
    return settings


def flow_db(settings) -> str | None:
    """The ``db`` parameter of the flows a command runs (:attr:`Settings.db_parameter`); a
    DuckLake catalog given by ``--db`` is put in this process's CLAIMFLOW_DB for them to read."""
    import os

    if settings.db_is_lake:
        os.environ["CLAIMFLOW_DB"] = settings.db
    return settings.db_parameter


def existing_warehouse(db):
    """Settings for a command that reads the warehouse; a clear failure when there is none yet."""
    settings = load_settings(db=db)
    if not settings.db_is_lake and not Path(settings.db).exists():
        fail(f"{settings.db} does not exist yet; run `claimflow ingest` or `claimflow run` first")
    return settings


def load_flow(module: str, name: str, settings):
    """A flow, imported when a command needs it (Prefect with it), with the logs captured again
    after Prefect set its own up, to run without heartbeats and record plain parameters as they
    are (see :func:`flows.prefect_local.without_heartbeats` and :func:`~flows.prefect_local.plain_parameters`). The warehouse is opened first: one locked by
    another process fails here, before any flow runs."""
    import importlib

    from flows.prefect_local import plain_parameters, without_heartbeats
    from warehouse.db import connection

    with connection(settings.db):
        pass
    # The import makes over 100,000 objects (Prefect, pydantic's models, DuckDB, the SDK), none of
    # them garbage: the collector's walks over them took 0.2-0.3 s of a warm land (bench/README.md).
    with collector.paused(freeze=True):
        flow = getattr(importlib.import_module(module), name)
    logs.capture()
    without_heartbeats()
    plain_parameters()
    threading.Thread(target=_import, args=(IMPORTED_AHEAD,), name="claimflow-import-ahead").start()
    return flow


# Modules every flow run imports once it runs: pandas (DuckDB imports it at its first query with a
# parameter that is not None). A flow run's first steps wait for Prefect's server (the run
# created, its state set): it is imported meanwhile, in a thread (bench/README.md, the cost of a
# warm command).
IMPORTED_AHEAD = ("pandas",)


def _import(modules: tuple[str, ...]) -> None:
    import importlib

    for module in modules:
        try:
            importlib.import_module(module)
        except Exception:  # the flow imports it again where it needs it, and fails there
            return


def label_studio(settings):
    """The Label Studio to use: the external one, or the local one started (or reused) now;
    reachable and taking the token (one quick call, so that a server nobody serves fails at
    once), or one line saying what to fix."""
    from flows.labelstudio import check_target, resolve_target

    return check_target(resolve_target(settings, start=True, announce=announce), settings)


def announce(line: str) -> None:
    """A server being started, said before the wait (on stderr: stdout stays the command's output)."""
    err.print(f"{escape(line)} ...", highlight=False)


# -- output ---------------------------------------------------------------------------------------


def cell(value) -> str:
    """A value as a person reads it: no None, no Python dict or float repr."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else "-"
    if isinstance(value, dict):
        return "\n".join(f"{k}: {cell(v)}" for k, v in value.items()) or "-"
    if isinstance(value, (list, tuple)):
        return ", ".join(cell(v) for v in value) or "-"
    return str(value)


def print_counts(title: str, counts: dict) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    for key, value in counts.items():
        table.add_row(key.replace("_", " "), escape(cell(value)))
    out.print(table)


def print_rows(columns: list[str], rows: list[tuple]) -> None:
    """A table when every column can get a fair width (long values wrap inside their column),
    else one block per row, a line per column (as psql's expanded display); then the row count.
    Piped, the table is as wide as it needs."""
    from rich.cells import cell_len

    cells = [["" if v is None else str(v) for v in row] for row in rows]
    widths = [max([cell_len(c)] + [max(map(cell_len, r[i].splitlines() or [""])) for r in cells]) for i, c in enumerate(columns)]
    fair = sum(min(w, max(cell_len(c), 24)) for w, c in zip(widths, columns)) + 3 * len(columns) + 1
    if not out.is_terminal:
        console = Console(width=max(sum(widths) + 3 * len(columns) + 1, 80), soft_wrap=False)
    else:
        console = out
    if columns and (not out.is_terminal or fair <= out.width):
        table = Table(*columns)
        for row in cells:
            table.add_row(*row)
        console.print(table, crop=False)
    else:
        label = max((cell_len(c) for c in columns), default=0)
        for n, row in enumerate(cells, start=1):
            console.print(f"-[ row {n} ]" + "-" * max(0, min(out.width, 60) - 10 - len(str(n))), highlight=False)
            for column, value in zip(columns, row):
                console.print(f"{column.ljust(label)} | {value}", highlight=False, markup=False)
    console.print(f"({len(rows)} row{'s' if len(rows) != 1 else ''})", highlight=False)


def print_ingest(report) -> None:
    table = Table(title="ingest", show_header=False, title_justify="left")
    for key, value in report.counts().items():
        table.add_row(key.replace("_", " "), str(value))
    table.add_row("seconds", f"{report.seconds:.1f}")
    out.print(table)
    for label, rows in (("failed", report.failures), ("skipped", report.skipped), ("passed over", report.passed_over)):
        for f in rows:
            where = f"{f['path']}:{f['line']}" if f.get("line") else f["path"]
            err.print(f"[yellow]{label}:[/yellow] {escape(where)}: {escape(f['reason'])}", highlight=False, soft_wrap=True)
    for line in report.warnings:
        err.print(f"[yellow]warning:[/yellow] {escape(line)}", highlight=False, soft_wrap=True)


QUARANTINE_LINES = 20  # quarantined rows named one by one after a land; the rest counted


def print_land(report) -> None:
    counts = report.counts()
    failed = counts.pop("failed_expectations", {})
    print_counts("land", counts | {"seconds": f"{report.seconds:.1f}"})
    details = report.quarantine_details
    for line in details[:QUARANTINE_LINES]:
        err.print("[yellow]quarantined:[/yellow] " + escape(line), highlight=False)
    if len(details) > QUARANTINE_LINES or (failed and not details):
        summary = ", ".join(f"{n} {name}" for name, n in sorted(failed.items()))
        err.print(f"[yellow]quarantined:[/yellow] {summary}; every row with its reasons is in labels_quarantine", highlight=False)
    if report.verdicts is not None:
        print_counts("verdicts", report.verdicts.counts())


def print_annotate_at(target, project_id: int, what: str = "Annotate at") -> None:
    from annotation.client import labeling_stream_url

    out.print(f"{what}: {labeling_stream_url(target.url, project_id)} (each annotator gets tasks of their own; "
              "do not edit others' annotations in the Data Manager)", highlight=False)


def print_login(target) -> None:
    if target.local:
        out.print(f"Log in as {target.login_email}; the password is in {target.credentials_file} (readable by you only)", highlight=False)
