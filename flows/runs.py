"""Every flow run leaves one row in the warehouse's runs table: started, then completed or failed;
and holds the warehouse's writer slot while it runs.

A flow begins with :func:`this_run` (its run id and settings) and wraps its steps in
:meth:`FlowRun.recorded`, which records the run, times it into the report and logs the
completed line: the flow's body holds only its steps.

A run whose failure cannot be recorded (the file locked by another process) or whose process is
killed stays `running` until the next run on the host records it as failed (the row names the
process that ran it)."""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import get_run_logger
from prefect.runtime import flow_run

from flows.settings import Settings, get_settings
from flows.writer import one_writer
from warehouse import load
from warehouse.db import writing
from warehouse.errors import WarehouseError


@contextmanager
def recorded_run(db: str | Path, run_id: str, flow: str, parameters: dict, report) -> Iterator[None]:
    """Record the run's start; on exit its status (``report.status`` or "completed") and
    ``report.counts()``, or "failed" with the error, which is raised on. The whole block holds
    the warehouse's writer slot (flows/writer.py)."""
    with one_writer(get_settings(db=db)):
        writing(db, lambda con: load.start_run(con, run_id, flow, parameters), "recording the run's start")
        try:
            yield
        except BaseException as err:
            try:
                writing(db, lambda con: load.finish_run(con, run_id, "failed", report.counts(), f"{type(err).__name__}: {err}"),
                        "recording the run's failure")
            except WarehouseError as unrecorded:  # the file locked by another process, say
                logging.getLogger("claimflow").warning(
                    "run %s could not be recorded as failed (%s); the next run records it once this process has ended",
                    run_id, unrecorded,
                )
            raise
        writing(db, lambda con: load.finish_run(con, run_id, getattr(report, "status", "completed"), report.counts()),
                "recording the run's end")


@dataclass
class FlowRun:
    """The flow run a flow is in: its name in the runs table, its id, the settings it runs with,
    and (in :meth:`recorded`) the report whose counts are recorded."""

    flow: str
    id: str
    settings: Settings
    started: float = field(default_factory=time.perf_counter)
    report: Any = None

    @property
    def db(self) -> str:
        return str(self.settings.db)

    @contextmanager
    def recorded(self, report, parameters: dict) -> Iterator[None]:
        """The block as this run in the runs table (:func:`recorded_run`), with the counts of
        ``report``, or of the report assigned to :attr:`report` in the block (a step that
        returns a whole report); on success the report's ``seconds`` (if it has that field) is
        the run's time so far, and "<flow> <status>: <counts>" is logged."""
        self.report = report
        with recorded_run(self.settings.db, self.id, self.flow, parameters, self):
            yield
            if hasattr(self.report, "seconds"):
                self.report.seconds = time.perf_counter() - self.started
        get_run_logger().info("%s %s: %s", self.flow, self.status, self.counts())

    @property
    def status(self) -> str:
        return getattr(self.report, "status", "completed")

    def counts(self) -> dict:
        return self.report.counts()


def this_run(flow: str, **overrides) -> FlowRun:
    """The current flow run as ``flow``, with the settings and these overrides (``db=...``); a
    local id when called outside a Prefect flow run. The run is recorded as this process's
    (:func:`own_this_run`)."""
    own_this_run()
    run_id = str(flow_run.id or datetime.now(timezone.utc).strftime("local-%Y%m%dT%H%M%S%f"))
    return FlowRun(flow, run_id, get_settings(**overrides))


def own_this_run() -> None:
    """Record this process as the owner of the current flow run, as Prefect's workers do: its
    ``infrastructure_pid`` "host:pid". `claimflow serve` leaves a run alone while that process runs
    and sets it to Crashed once the process has ended (flows/serve.py). Nothing outside a flow run."""
    if flow_run.id is None:
        return
    from prefect.client.orchestration import get_client

    try:
        with get_client(sync_client=True) as client:
            client.update_flow_run(flow_run.id, infrastructure_pid=f"{socket.gethostname()}:{os.getpid()}")
    except Exception as exc:  # the run goes on; only its clean-up after a kill is lost
        logging.getLogger("claimflow").warning("could not record this process as the owner of flow run %s: %s", flow_run.id, exc)
