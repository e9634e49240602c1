"""Every flow run leaves one row in the warehouse's runs table: started, then completed or failed;
and holds the warehouse's writer slot while it runs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flows.settings import get_settings
from flows.writer import one_writer
from warehouse import load
from warehouse.db import connection


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
            with connection(db) as con:
                load.finish_run(con, run_id, "failed", report.counts(), f"{type(err).__name__}: {err}")
            raise
        with connection(db) as con:
            load.finish_run(con, run_id, getattr(report, "status", "completed"), report.counts())
