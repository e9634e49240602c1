"""Webhooks from a real Label Studio to claimflow's receiver: an annotation lands with no command
run, a burst of webhooks gives one land or two, and a lost webhook loses nothing (the land pulls)."""

import time

import httpx
import pytest

from annotation import webhooks as hooks
from annotation.results import annotation_result
from flows.webhooks import Coalescer, Receiver
from tests.conftest import free_port
from warehouse.db import connection
from warehouse.errors import DatabaseUnreadable

pytestmark = pytest.mark.usefixtures("prefect_server")


def labels(db_path) -> set[int]:
    """The live labels' ids. Opened as the land in this process opens the file (one configuration
    per process); DuckDB 1.5 refuses an open that races the land thread's last close ("Unique file
    handle conflict"), which is tried again, as the coalescer tries a land again."""
    for _ in range(50):
        try:
            with connection(db_path) as con:
                return {r[0] for r in con.execute("SELECT annotation_id FROM labels WHERE NOT deleted").fetchall()}
        except DatabaseUnreadable as err:
            if "Unique file handle conflict" not in str(err):
                raise
            time.sleep(0.1)
    raise AssertionError(f"{db_path} could not be opened beside the land thread")


def wait_for(condition, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def receiver(ingested, db_path):
    from flows.land import land_flow
    from flows.push import push_flow

    pushed = push_flow()
    land_flow()  # the watermark: what follows is new
    lands = Coalescer(lambda: land_flow(), debounce=0.5)
    server = Receiver(port=free_port(), secret="the right secret", on_change=lambda action: lands.poke()).start()
    yield server, lands, pushed.project_id
    server.stop()
    lands.stop(timeout=120)


def tasks(db_path, n):
    with connection(db_path) as con:
        return [r[0] for r in con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT ?", [n]).fetchall()]


def test_an_annotation_lands_after_its_webhook_and_a_lost_webhook_loses_nothing(receiver, ls_client, db_path):
    server, lands, project = receiver
    ana = ls_client.ensure_user("ana@hooks.example")
    first, second = tasks(db_path, 2)

    hooks.register(ls_client, project, server.url, "a wrong secret")  # Label Studio's call is refused: lost
    lost = ls_client.annotate(first, annotation_result(verdict="supported", confidence=3), user=ana)
    assert wait_for(lambda: server.refused >= 1, 30)
    assert lost not in labels(db_path) and lands.runs == 0

    hooks.register(ls_client, project, server.url, "the right secret")  # the same webhook, its secret updated
    assert len([h for h in ls_client.sdk.webhooks.list(project=str(project)) if h.url == server.url]) == 1
    heard = ls_client.annotate(second, annotation_result(verdict="refuted", confidence=4), user=ana)
    assert wait_for(lambda: {lost, heard} <= labels(db_path)), "the webhook's land brings both annotations"
    assert server.accepted == 1

    assert hooks.unregister(ls_client, project, server.url) == 1


def test_a_burst_of_webhooks_is_coalesced_into_few_lands(receiver, ls_client, db_path):
    server, lands, project = receiver
    hooks.register(ls_client, project, server.url, "the right secret")
    ben = ls_client.ensure_user("ben@hooks.example")
    made = [ls_client.annotate(t, annotation_result(verdict="misleading", confidence=2), user=ben) for t in tasks(db_path, 6)]
    assert wait_for(lambda: set(made) <= labels(db_path))
    assert wait_for(lambda: server.accepted == 6, 30)
    assert wait_for(lambda: lands.idle)  # every land owed has run
    assert 1 <= lands.runs < 6
    hooks.unregister(ls_client, project, server.url)


def test_the_receiver_refuses_a_request_without_the_secret():
    calls = []
    server = Receiver(port=free_port(), secret="s3cret", on_change=calls.append).start()
    try:
        body = {"action": "ANNOTATION_CREATED"}
        assert httpx.post(server.url, json=body).status_code == 401
        assert httpx.post(server.url, json=body, headers={hooks.SECRET_HEADER: "guess"}).status_code == 401
        assert httpx.post(server.url, json=body, headers={hooks.SECRET_HEADER: "s3cret"}).status_code == 200
        assert httpx.post(server.url, json={"action": "PROJECT_UPDATED"}, headers={hooks.SECRET_HEADER: "s3cret"}).status_code == 200
        assert calls == ["ANNOTATION_CREATED"] and server.refused == 2
    finally:
        server.stop()
