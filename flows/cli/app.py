"""The ``claimflow`` application: the Typer app, the ``--verbose`` callback, the :func:`command`
decorator the command modules declare their commands with, and the failure formatting.

Every failure becomes one line on stderr and exit status 1: a named error (of
:data:`EXPECTED_ERRORS`) its own message, which names the cause and the fix; anything else its
type and message, with a hint for known failures of other programs. The traceback goes to the
log file, and to the console too with ``--verbose``."""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Annotated

import typer
from typer.core import TyperCommand, TyperGroup

from annotation.errors import AnnotationError
from claims.errors import ClaimsError
from flows import logs
from flows.cli.common import FlowCommand, err, fail
from flows.errors import FlowError
from training.errors import TrainingError
from warehouse.errors import WarehouseError

# The named errors of the packages and flows: their message names the cause and the fix.
EXPECTED_ERRORS = (AnnotationError, ClaimsError, FlowError, TrainingError, WarehouseError)

# Known failures of other programs, and what to do about them.
HINTS = {
    "ephemeral Prefect API server": "the temporary Prefect server did not start in time (a busy machine?): raise "
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS, or set PREFECT_API_URL to a running `prefect server start`",
    "Failed to reach API at": "Prefect's API at PREFECT_API_URL does not answer: start it (`prefect server start`), "
    "or unset PREFECT_API_URL for a temporary server",
}


class _Commands(TyperGroup):
    """Commands whose failures are one line each (see :func:`_report_failure`)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # an exit, or a usage error click reports itself
            raise
        except KeyboardInterrupt:
            err.print("[red]error:[/red] interrupted", highlight=False)
            raise typer.Exit(130) from None
        except Exception as exc:  # every failure, expected or not, as one line
            _report_failure(exc)


def _report_failure(exc: Exception) -> None:
    """Log the traceback, print it too when verbose, print one line, exit 1."""
    logging.getLogger(logs.ERRORS).error("command failed", exc_info=exc)
    if logs.verbose():
        traceback.print_exception(exc, file=sys.stderr)
    if isinstance(exc, EXPECTED_ERRORS):
        fail(str(exc))
    text = " ".join(str(exc).split())[:400]
    hint = next((h for key, h in HINTS.items() if key in text), None)
    where = logs.log_file()
    details = "" if logs.verbose() else f" (the traceback is in {where})" if where else " (run with --verbose for the traceback)"
    fail(f"{type(exc).__name__}: {text}{f'; {hint}' if hint else ''}{details}")


app = typer.Typer(
    cls=_Commands,
    help="claimflow: extract check-worthy claims from news articles, annotate them in Label Studio, "
    "and query the verdicts in DuckDB.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    # Help text is plain text: "[env CLAIMFLOW_DB, default ...]" is shown, not read as rich markup.
    rich_markup_mode=None,
)


@app.callback()
def _main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Print tracebacks, Prefect's own progress lines and its failure messages too (they always go to the log file).")] = False,
) -> None:
    logs.capture(verbose=verbose)


def group(name: str, help: str) -> typer.Typer:
    """A group of subcommands (``claimflow NAME ...``) on the app."""
    sub = typer.Typer(help=help, no_args_is_help=True, rich_markup_mode=None)
    app.add_typer(sub, name=name)
    return sub


def command(name: str | None = None, *, runs_flows: bool, on: typer.Typer = app):
    """Declare a command of the app (or of the group ``on``). ``runs_flows``: it runs Prefect
    flows, so its settings point Prefect at a server, the local one started if need be; a
    command that runs none never starts one."""
    return on.command(name, cls=FlowCommand if runs_flows else TyperCommand)
