"""The ``claimflow`` command line: parses arguments, calls a flow or a library function, and
formats the outcome; every failure is one line and exit status 1 (see :mod:`flows.cli.app`).

``app`` holds the app, its failure formatting and the ``command`` decorator; ``common`` the
shared options and output; the commands live one module per area: ``pipeline`` (the flows),
``training`` (the models), ``warehouse`` (migrate, sql, exports) and ``servers`` (Label Studio,
Prefect, serve)."""

import sys

# Importing the area modules declares their commands; --help lists them in this order.
from flows.cli import pipeline, training, warehouse, factchecks, servers  # noqa: F401
from flows.cli.app import app

__all__ = ["app", "main"]


def main() -> None:
    """The ``claimflow`` script: the app, then an exit that skips the interpreter's teardown.

    Once a command is done, what is left is work for nobody: Python freeing every module and
    object one by one, half a second after a command that ran a flow (Prefect, pydantic, DuckDB
    loaded). The exit does what a normal one does that matters (worker pools shut down, threads
    that are not daemons waited for, the exit handlers run: logs flushed and closed, Prefect's log
    and event workers drained, temporary folders removed; the streams flushed), then ends the
    process with the command's status."""
    import atexit
    import os
    import threading

    from flows import collector

    collector.freeze_after_pauses()  # this process ends with its command
    try:
        app()
        code = 0
    except SystemExit as done:
        code = done.code
    if not isinstance(code, int):  # sys.exit("message") or sys.exit(None)
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    # What the interpreter's own exit does first: threading's exit callbacks (worker pools shut
    # down), then every thread that is not a daemon joined; then the exit handlers.
    threading._shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: nothing more can be said
            pass
    os._exit(code)
