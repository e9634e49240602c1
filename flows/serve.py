"""`claimflow serve`: the flows as scheduled Prefect deployments, and the webhook receiver.

One process serves every deployment of :data:`DEPLOYMENTS` with its schedule from the settings
(seconds between runs, or a cron line; 'off' leaves it out) and, unless webhooks are off, the
receiver that lands annotations as Label Studio reports them. Each scheduled run executes in a
process of its own (Prefect's runner); the lands started by webhooks run in this process, where
Great Expectations stays imported. Whatever starts them, the flows take turns writing the
warehouse (flows/writer.py).

Stopping serve (Ctrl-C, SIGTERM) pauses the deployments' schedules (the Prefect UI shows them
paused) and removes the webhook from the Label Studio project; starting it again resumes them.
"""

from __future__ import annotations

import importlib
import logging
import secrets
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

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
    lands = Coalescer(lambda: land_flow(db=str(settings.db)), debounce=settings.webhook_debounce)
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
    """Serve the deployments (and the webhook receiver) until stopped."""
    from prefect import serve

    found = deployments(settings)
    if not found and not with_webhooks:
        raise ValueError("every schedule is off and webhooks are off: nothing to serve")
    with webhooks(settings) if with_webhooks else nullcontext():
        if found:
            try:
                serve(*found, limit=len(found))  # until Ctrl-C or SIGTERM, which Prefect handles
            finally:
                pause(found)
        else:
            signal.signal(signal.SIGTERM, _interrupt)
            try:
                threading.Event().wait()
            except KeyboardInterrupt:
                pass


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


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt
