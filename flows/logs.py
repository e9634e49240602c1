"""Where a command's logs go: everything, tracebacks included, to the log file
(CLAIMFLOW_LOG_FILE, claimflow.log beside the warehouse by default); to the console, the flows'
own lines and every warning, but not Prefect's own progress lines (a flow run beginning, each
task run created and finished: some fifty before a command's report), no tracebacks and not the
failure messages of flow and task runs (the command prints the failure as one line), unless
``--verbose``.

Prefect sets up logging when it is imported (its console handler on the root logger), so
:func:`capture` runs again after a flow module is imported.
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

ERRORS = "claimflow.errors"  # the CLI's own tracebacks: to the log file only
_state: dict = {"verbose": False, "path": None}


class _MaskedFormatter(logging.Formatter):
    """Lines, tracebacks included, with every password masked (a DuckLake catalog's connection
    string carries one, and DuckDB's errors repeat it)."""

    def format(self, record: logging.LogRecord) -> str:
        from warehouse.masking import mask

        return mask(super().format(record))


class MaskPasswords(logging.Filter):
    """Masks passwords in a record's message before any console handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        from warehouse.masking import mask

        message = record.getMessage()
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


class _LogFile(logging.handlers.RotatingFileHandler):
    """The command log, readable by the owner only (5 MB, three old files kept)."""

    def __init__(self, path: Path):
        super().__init__(path, maxBytes=5_000_000, backupCount=3, encoding="utf-8", delay=True)
        self.setLevel(logging.INFO)
        self.setFormatter(_MaskedFormatter("%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s"))

    def _open(self):
        """Created on the first record (a command that logs nothing leaves no file), 0600."""
        path = Path(self.baseFilename)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))
        return super()._open()

    def handleError(self, record):  # an unwritable log must not stop the command
        pass


class QuietConsole(logging.Filter):
    """Keeps tracebacks, Prefect's own lines below warnings, and the failure echoes of Prefect's
    flow and task runs off the console. The flows' own lines (their run loggers are Prefect's,
    but the lines are logged from claimflow's code) stay."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info or record.exc_text or record.stack_info:
            return False
        if record.levelno < logging.WARNING and _in_prefect(record.pathname):
            return False
        if not record.name.startswith(("prefect.flow_runs", "prefect.task_runs")):
            return True
        return record.levelno < logging.ERROR and not str(record.msg).startswith(_FAILED_STATES)


def _in_prefect(path: str) -> bool:
    """Whether a log record comes from Prefect's own code."""
    if "prefect" not in _state:
        import importlib.util

        spec = importlib.util.find_spec("prefect")  # the package's folder, without importing it
        folders = list(spec.submodule_search_locations or ()) if spec else []
        _state["prefect"] = tuple({os.path.join(f, "") for f in folders} | {os.path.join(os.path.realpath(f), "") for f in folders})
    return bool(_state["prefect"]) and path.startswith(_state["prefect"])


_FAILED_STATES = ("Finished in state Failed", "Finished in state Crashed")


def capture(path: Path | None = None, *, verbose: bool | None = None) -> Path | None:
    """Send logs to the file ``path`` (kept from an earlier call when None) and quiet the console
    handlers there are now, unless verbose. Idempotent; returns the log file."""
    if verbose is not None:
        _state["verbose"] = verbose
    if path is not None:
        _state["path"] = Path(path)
    path = _state["path"]
    if path is None:
        return None
    root = logging.getLogger()
    mine = [h for h in root.handlers if isinstance(h, _LogFile)]
    if mine and Path(mine[0].baseFilename) != path.resolve():
        for handler in mine:
            root.removeHandler(handler)
            handler.close()
        mine = []
    if not mine:
        handler = _LogFile(path)
        root.handlers.insert(0, handler)  # first, so it sees every record before any filter
        errors = logging.getLogger(ERRORS)
        errors.handlers = [handler]
        errors.propagate = False
        errors.setLevel(logging.INFO)
    claimflow = logging.getLogger("claimflow")
    if claimflow.level == logging.NOTSET:
        claimflow.setLevel(logging.INFO)
    for handler in root.handlers:
        quiet = [f for f in handler.filters if isinstance(f, QuietConsole)]
        if isinstance(handler, _LogFile):
            continue
        if not any(isinstance(f, MaskPasswords) for f in handler.filters):
            handler.addFilter(MaskPasswords())
        if _state["verbose"]:
            for f in quiet:
                handler.removeFilter(f)
        elif not quiet:
            handler.addFilter(QuietConsole())
    return path


def log_file() -> Path | None:
    return _state["path"]


def verbose() -> bool:
    return _state["verbose"]
