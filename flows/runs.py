"""Every flow run leaves one row in the warehouse's runs table: started, then completed or failed;
and holds the warehouse's writer slot while it runs.

A run whose failure cannot be recorded (the file locked by another process) or whose process is
killed stays `running` until the next run on the host records it as failed (the row names the
process that ran it)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.settings import get_settings
from flows.writer import one_writer
from warehouse import load
from warehouse.db import connection
from warehouse.errors import WarehouseError


@contextmanager
def recorded_run(db: str | Path, run_id: str, flow: str, parameters: dict, report) -> Iterator[None]:
    """Record the run's start; on exit its status (``report.status`` or "completed") and
    ``report.counts()``, or "failed" with the error, which is raised on. The whole block holds
    the warehouse's writer slot (flows/writer.py)."""
    with one_writer(get_settings(db=db)):
        with connection(db) as con:
            load.start_run(con, run_id, flow, parameters)
        try:
            yield
        except BaseException as err:
            try:
                with connection(db) as con:
                    load.finish_run(con, run_id, "failed", report.counts(), f"{type(err).__name__}: {err}")
            except WarehouseError as unrecorded:  # the file locked by another process, say
                logging.getLogger("claimflow").warning(
                    "run %s could not be recorded as failed (%s); the next run records it once this process has ended",
                    run_id, unrecorded,
                )
            raise
        with connection(db) as con:
            load.finish_run(con, run_id, getattr(report, "status", "completed"), report.counts())
