"""`claimflow serve`: the flows as scheduled Prefect deployments, and the webhook receiver.

One process serves every deployment of :data:`DEPLOYMENTS` with its schedule from the settings
(seconds between runs, or a cron line; 'off' leaves it out) and, unless webhooks are off, the
receiver that lands annotations as Label Studio reports them. Each scheduled run executes in a
process of its own (Prefect's runner); the lands started by webhooks run in this process, where
Great Expectations stays imported. Whatever starts them, the flows take turns writing the
warehouse (flows/writer.py).

Stopping serve (Ctrl-C, SIGTERM) pauses the deployments' schedules (the Prefect UI shows them
paused) and removes the webhook from the Label Studio project; starting it again resumes them.

One serve runs at a time (its pid file is in the Prefect data folder). What a stopped or killed
serve leaves in Prefect is cleaned up when it stops and again when the next one starts: a run of
its deployments still pending or running that no live process owns (the run being submitted
when it was stopped, the runs of a killed process) is set to Crashed, which frees the
deployment's one concurrency slot; left alone, it would hold the slot for Prefect's lease time
(5 minutes) and stay "running" in Prefect for ever. A run's owner is the process recorded in its
``infrastructure_pid`` (flows/runs.py); a run that records none is owned by the serve that
submitted it, which no longer runs.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import secrets
import signal
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from annotation.local_server import process_alive
from flows.errors import PrefectUnavailable, ServeRunning
from flows.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Scheduled:
    """A deployment: its name, its flow ("module:function"), the setting holding its schedule,
    and the settings passed to it as parameters (the flow reads the others from the environment)."""

    name: str
    flow: str
    schedule: str
    parameters: tuple[str, ...] = ("db",)


# One line per deployment (and its schedule setting in flows/settings.py).
DEPLOYMENTS = (
    Scheduled("ingest-inbox", "flows.inbox:inbox_flow", "schedule_ingest", ("db", "inbox")),
    Scheduled("match", "flows.match:match_flow", "schedule_match"),
    Scheduled("push", "flows.push:push_flow", "schedule_push"),
    Scheduled("land", "flows.land:land_flow", "schedule_land"),
    Scheduled("morning", "flows.morning:morning_flow", "schedule_morning", ("db", "report_dir")),
)


def schedule_of(value: str) -> dict | None:
    """``to_deployment`` options for a schedule setting: interval seconds, a cron line, or None (off)."""
    value = value.strip()
    if value.lower() in ("", "off"):
        return None
    if value.replace(".", "", 1).isdigit():
        return {"interval": float(value)}
    return {"cron": value}


def flow_of(entry: Scheduled):
    module, name = entry.flow.split(":")
    return getattr(importlib.import_module(module), name)


def deployments(settings: Settings) -> list:
    """The deployments with a schedule. Each runs once at a time: a run due while the previous one
    still runs is cancelled (its work is done by the next), so slow runs never pile up."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy
    from prefect.deployments.runner import EntrypointType

    once = ConcurrencyLimitConfig(limit=1, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)

    found = []
    for entry in DEPLOYMENTS:
        schedule = schedule_of(getattr(settings, entry.schedule))
        if schedule is None:
            continue
        parameters = {name: str(getattr(settings, name)) for name in entry.parameters}
        found.append(
            flow_of(entry).to_deployment(
                name=entry.name, parameters=parameters, entrypoint_type=EntrypointType.MODULE_PATH, concurrency_limit=once,
                description=f"claimflow serve: {entry.flow}, schedule CLAIMFLOW_{entry.schedule.upper()}={getattr(settings, entry.schedule)}",
                **schedule,
            )
        )
    return found


def webhook_url(settings: Settings) -> str | None:
    if settings.webhook_url and settings.webhook_url.strip().lower() == "off":
        return None
    return settings.webhook_url or f"http://127.0.0.1:{settings.webhook_port}/webhook"


@contextmanager
def webhooks(settings: Settings) -> Iterator[object | None]:
    """The receiver, registered on the Label Studio project, landing on each burst of webhooks;
    removed from the project on exit. Yields the receiver (None with webhooks off)."""
    url = webhook_url(settings)
    if url is None:
        yield None
        return
    from annotation import webhooks as hooks
    from expectations.gate import prepare
    from expectations.labels import SUITE
    from flows.labelstudio import resolve_target
    from flows.land import land_flow
    from flows.push import open_project
    from flows.resolve import VERDICTS_SUITE
    from flows.webhooks import Coalescer, Receiver

    # Great Expectations imported now, so the first land after a webhook does not wait for it.
    threading.Thread(target=prepare, args=(SUITE, VERDICTS_SUITE), name="gx-warm-up", daemon=True).start()
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else secrets.token_urlsafe(32)
    target = resolve_target(settings)
    project = open_project.fn(target, settings.ls_project, settings.overlap)
    lands = Coalescer(lambda: land_flow(db=settings.db_parameter), debounce=settings.webhook_debounce)
    receiver = Receiver(port=settings.webhook_port, secret=secret, on_change=lambda action: lands.poke()).start()
    try:
        with target.client() as client:
            hooks.register(client, project, url, secret)
        log.info("webhooks of project %s call %s", project, url)
        yield receiver
    finally:
        receiver.stop()
        lands.stop(timeout=600)
        try:
            with target.client() as client:
                hooks.unregister(client, project, url)
        except Exception as exc:  # Label Studio gone: its next webhook fails in 1 s, harmlessly
            log.warning("could not remove the webhook from project %s: %s", project, exc)


def serve_all(settings: Settings, *, with_webhooks: bool = True) -> None:
    """Serve the deployments (and the webhook receiver) until stopped; :class:`PrefectUnavailable`
    if the Prefect server stopped answering meanwhile."""
    from prefect import serve

    from flows import logs

    logs.capture()  # again, now that Prefect has set up its console logging (see flows/logs.py)
    found = deployments(settings)
    if not found and not with_webhooks:
        raise ValueError("every schedule is off and webhooks are off: nothing to serve")
    watch = PrefectWatch()
    with the_one_serve(settings), webhooks(settings) if with_webhooks else nullcontext():
        release_orphaned_runs()
        watch.start()
        if found:
            try:
                serve(*found, limit=len(found))  # until Ctrl-C or SIGTERM, which Prefect handles
            except SystemExit:  # Prefect's answer to SIGTERM; the watch's SIGTERM is reported below
                if watch.down is None:
                    raise
            finally:
                watch.stop()
                if watch.down is None:  # with Prefect gone, nothing to pause or clean up: the next serve does it
                    pause(found)
                    release_orphaned_runs()
        else:
            signal.signal(signal.SIGTERM, _interrupt)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass
            watch.stop()
    if watch.down is not None:
        raise PrefectUnavailable(watch.down)


def pause(found: list) -> None:
    """Pause the served deployments' schedules. Prefect's runner starts that itself on SIGTERM,
    but its process can end before the pauses are sent: done again here, once serve returns."""
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        for deployment in found:
            try:
                client.pause_deployment(client.read_deployment_by_name(f"{deployment.flow_name}/{deployment.name}").id)
            except Exception as exc:  # the Prefect server gone: nothing runs them anyway
                log.warning("could not pause deployment %s: %s", deployment.name, exc)


class PrefectWatch:
    """Checks that the Prefect server answers while serve runs; when nothing has listened at its
    address for ``patience`` seconds (or it has not answered at all for ``slow_patience``: a busy
    server is slow, not gone), stops serve as Ctrl-C would (SIGTERM to this process) and keeps in
    :attr:`down` the one line to say, naming Prefect and its URL. Without it, Prefect's runner
    prints a page of tracebacks of connection errors that never name Prefect, then stops."""

    def __init__(self, *, interval: float = 1.0, patience: float = 3.0, slow_patience: float = 120.0):
        self.interval, self.patience, self.slow_patience = interval, patience, slow_patience
        self.down: str | None = None
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="prefect-watch", daemon=True)

    def start(self) -> None:
        from prefect.settings import get_current_settings

        self.api = (get_current_settings().api.url or "").rstrip("/")
        if self.api:  # a temporary server lives in this process: nothing to watch
            self._thread.start()

    def stop(self) -> None:
        self._stopped.set()

    def _watch(self) -> None:
        import httpx

        answered = time.monotonic()
        while not self._stopped.wait(self.interval):
            try:
                httpx.get(f"{self.api}/health", timeout=10.0).raise_for_status()
                answered = time.monotonic()
                continue
            except httpx.HTTPError as exc:
                error = str(exc) or type(exc).__name__
                patience = self.patience if isinstance(exc, httpx.ConnectError) else self.slow_patience
            if time.monotonic() - answered >= patience:
                self.down = (
                    f"the Prefect server at {self.api} stopped answering ({error}); serve stopped: start it again "
                    "(`claimflow prefect start` for the local one, or check PREFECT_API_URL) and run `claimflow serve` again"
                )
                os.kill(os.getpid(), signal.SIGTERM)
                return


# The states a run holds its deployment's concurrency slot in.
UNFINISHED = ("PENDING", "RUNNING", "CANCELLING")


def serve_pid_file(settings: Settings) -> Path:
    return Path(settings.prefect_data_dir) / "serve.pid"


@contextmanager
def the_one_serve(settings: Settings) -> Iterator[None]:
    """This process as the one serve (its pid file written, removed on exit); :class:`ServeRunning`
    if another serve runs: two would run every scheduled flow twice, and each would take the
    other's runs for orphans."""
    path = serve_pid_file(settings)
    other = _serve_pid(path)
    if other is not None and other != os.getpid():
        raise ServeRunning(f"claimflow serve already runs (pid {other}, recorded in {path}); stop it first, or use that one")
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.write_text(json.dumps({"pid": os.getpid(), "host": socket.gethostname()}))
    try:
        yield
    finally:
        if _serve_pid(path) == os.getpid():
            path.unlink(missing_ok=True)


def _serve_pid(path: Path) -> int | None:
    """The pid of the serve recorded in ``path`` if it still runs on this host (a reused pid,
    of a process that is not a claimflow serve, does not count)."""
    try:
        recorded = json.loads(path.read_text())
        pid, host = int(recorded["pid"]), recorded["host"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if host != socket.gethostname() or not process_alive(pid):
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return pid  # no /proc: trust the file
    return pid if b"serve" in cmdline and any(b"claimflow" in part for part in cmdline) else None


def owner_alive(infrastructure_pid: str | None) -> bool:
    """Whether the process a run records as its owner ("host:pid", flows/runs.py) still runs; a
    process of another host is taken to run (it cannot be checked from here)."""
    if not infrastructure_pid:
        return False
    host, _, pid = infrastructure_pid.rpartition(":")
    if host != socket.gethostname():
        return True
    return pid.isdigit() and process_alive(int(pid))


def release_orphaned_runs() -> list[str]:
    """Set to Crashed the runs of claimflow's deployments still pending, running or cancelling
    whose owner no longer runs (called while no other serve runs, and when this one's runner has
    stopped), freeing their deployments' concurrency slots. Returns the names of the runs set so."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter, FlowRunFilterDeploymentId, FlowRunFilterState, FlowRunFilterStateType,
    )
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.exceptions import ObjectNotFound
    from prefect.states import Crashed

    released = []
    try:
        with get_client(sync_client=True) as client:
            ids = []
            for entry in DEPLOYMENTS:
                try:
                    ids.append(client.read_deployment_by_name(f"{flow_of(entry).name}/{entry.name}").id)
                except ObjectNotFound:
                    continue  # never served on this Prefect server
            if not ids:
                return released
            runs = client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    deployment_id=FlowRunFilterDeploymentId(any_=ids),
                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=list(UNFINISHED))),
                ),
                sort=FlowRunSort.EXPECTED_START_TIME_ASC, limit=200,  # the sync client sends no defaults
            )
            for run in runs:
                if owner_alive(run.infrastructure_pid):
                    continue
                owner = f"its process ({run.infrastructure_pid})" if run.infrastructure_pid else "the serve that submitted it"
                state = run.state.name if run.state else "unknown"
                client.set_flow_run_state(
                    run.id, Crashed(message=f"{owner} ended while the run was {state.lower()}; set so by claimflow serve"),
                    force=True,
                )
                released.append(run.name)
                log.warning("flow run %s (%s) was left %s by a stopped serve: now Crashed, its deployment's slot free",
                            run.name, run.id, state)
    except Exception as exc:  # the Prefect server gone: the next serve cleans up
        log.warning("could not clean up the flow runs a stopped serve left: %s", exc)
    return released


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
