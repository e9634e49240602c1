"""The local Prefect server that claimflow starts and keeps, and `claimflow serve` on it: scheduled
runs ingest the files dropped in the inbox (a broken one reported, the others landed), push them
and land annotations; stopping serve pauses the schedules."""

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import duckdb
import httpx
import pytest

from annotation.results import annotation_result
from tests.conftest import free_port

EXE = Path(sys.executable).with_name("claimflow")
GOOD = "# {title}\n\nNATO was founded in 1949 and now has 32 members, officials said on {day}.\n"


def claimflow(*args, env, timeout=300, check=True):
    proc = subprocess.run([str(EXE), *map(str, args)], env=env, capture_output=True, text=True, timeout=timeout)
    if check:
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture
def prefect_env(local_prefect):
    """The environment of commands on the session's local Prefect server."""
    return {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | local_prefect


def api(env) -> str:
    return f"http://127.0.0.1:{env['CLAIMFLOW_PREFECT_PORT']}/api"


@pytest.mark.slow
def test_the_first_command_starts_the_local_prefect_server_and_the_next_reuse_it(prefect_env, tmp_path):
    env = prefect_env | {"CLAIMFLOW_DB": str(tmp_path / "w.duckdb"), "CLAIMFLOW_PREFECT_PORT": str(free_port()),
                         "CLAIMFLOW_PREFECT_DATA_DIR": str(tmp_path / "prefect")}  # a server of this test's own, not running yet
    try:
        first_command_starts_it(env, tmp_path)
    finally:
        assert claimflow("prefect", "stop", env=env).stdout.strip() == "stopped"
    assert claimflow("prefect", "status", env=env, check=False).returncode == 1


def first_command_starts_it(env, tmp_path):
    (tmp_path / "a.md").write_text(GOOD.format(title="One", day="Monday"))
    stopped = claimflow("prefect", "status", env=env, check=False)
    assert stopped.returncode == 1 and stopped.stdout.startswith("not running")
    first = claimflow("ingest", tmp_path / "a.md", env=env)
    port = env["CLAIMFLOW_PREFECT_PORT"]
    assert (f"starting the local Prefect server at http://127.0.0.1:{port} (the first start sets up its database: up to a minute) ..."
            in first.stderr), "the wait for a first start is said before it"
    assert "Created task run" not in first.stdout + first.stderr and "Finished in state" not in first.stdout + first.stderr, \
        "Prefect's own progress lines stay off the console"
    status = claimflow("prefect", "status", env=env)
    assert status.stdout.startswith(f"running: http://127.0.0.1:{env['CLAIMFLOW_PREFECT_PORT']} (pid ")
    pid = status.stdout.split("(pid ")[1].split(")")[0]
    assert "starting" not in claimflow("ingest", tmp_path / "a.md", env=env).stderr  # reused, nothing said
    again = claimflow("prefect", "start", env=env)
    assert f"already running at http://127.0.0.1:{env['CLAIMFLOW_PREFECT_PORT']} (pid {pid})" in again.stdout
    runs = httpx.post(f"{api(env)}/flow_runs/filter", json={"flows": {"name": {"any_": ["ingest"]}}}).raise_for_status().json()
    assert len(runs) == 2 and all(r["state_type"] == "COMPLETED" for r in runs)
    assert (Path(env["CLAIMFLOW_PREFECT_DATA_DIR"]) / "prefect.db").exists()
    assert Path(env["CLAIMFLOW_PREFECT_DATA_DIR"]).stat().st_mode & 0o077 == 0  # the owner's alone


def read(db: Path, query: str):
    """A read-only look at the warehouse while serve's flows write it (they keep connections short);
    before the first flow has created it, every count is 0."""
    if not db.exists():
        return [(0,)]
    for _ in range(200):
        try:
            con = duckdb.connect(str(db), read_only=True)
        except duckdb.Error:
            time.sleep(0.1)
            continue
        try:
            return con.execute(query).fetchall()
        finally:
            con.close()
    raise AssertionError(f"{db} stayed locked")


def wait_for(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(1.0)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_serve_runs_the_scheduled_flows_on_files_dropped_in_the_inbox(prefect_env, label_studio, ls_client, tmp_path):
    inbox, db = tmp_path / "inbox", tmp_path / "serve.duckdb"
    inbox.mkdir()
    (inbox / "monday.md").write_text(GOOD.format(title="Monday", day="Monday"))
    (inbox / "tuesday.md").write_text(GOOD.format(title="Tuesday", day="Tuesday"))
    (inbox / "broken.txt").write_bytes(b"\xff\xfe\x00broken\x00")
    env = prefect_env | {
        "CLAIMFLOW_DB": str(db), "CLAIMFLOW_INBOX": str(inbox), "CLAIMFLOW_INBOX_SETTLE_SECONDS": "0",
        "CLAIMFLOW_SCHEDULE_INGEST": "5", "CLAIMFLOW_SCHEDULE_PUSH": "5", "CLAIMFLOW_SCHEDULE_LAND": "5",
        "CLAIMFLOW_LS_DATA_DIR": str(label_studio.data_dir), "CLAIMFLOW_LS_PORT": str(label_studio.port),
        "CLAIMFLOW_LS_PROJECT": "serve test", "CLAIMFLOW_WEBHOOK_PORT": str(free_port()), "CLAIMFLOW_PUSH_THRESHOLD": "0",
    }
    log = open(tmp_path / "serve.log", "w")
    serve = subprocess.Popen([str(EXE), "serve"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: read(db, "SELECT count(*) FROM articles")[0][0] == 2, 400, "the two good files to be ingested")
        # The inbox remembers its files once their ingest has ended (the articles commit first).
        wait_for(lambda: read(db, "SELECT count(*) FROM inbox_files")[0][0] == 3, 60, "the inbox to remember its three files")
        failures = read(db, "SELECT path, reason FROM ingest_failures")
        assert [Path(p).name for p, _ in failures] == ["broken.txt"]
        assert read(db, "SELECT path, status FROM inbox_files ORDER BY path") == [
            (str(inbox / "broken.txt"), "failed"), (str(inbox / "monday.md"), "ingested"), (str(inbox / "tuesday.md"), "ingested")]
        wait_for(lambda: read(db, "SELECT count(*) FROM tasks")[0][0] == 2, 300, "the claims to be pushed")

        (inbox / "wednesday.md").write_text(GOOD.format(title="Wednesday", day="Wednesday"))
        task_id = read(db, "SELECT task_id FROM tasks ORDER BY task_id LIMIT 1")[0][0]
        ana = ls_client.ensure_user("ana@serve.example")
        annotation = ls_client.annotate(task_id, annotation_result(verdict="supported", confidence=5), user=ana)
        wait_for(lambda: read(db, "SELECT count(*) FROM articles")[0][0] == 3, 300, "the file dropped later")
        wait_for(lambda: read(db, f"SELECT count(*) FROM labels WHERE annotation_id = {annotation}")[0][0] == 1, 300,
                 "the annotation to land")
        assert read(db, "SELECT count(*) FROM ingest_failures")[0][0] == 1  # the broken file is not read again
        assert read(db, "SELECT count(*) FROM runs WHERE status = 'failed'") == [(0,)]
    finally:
        serve.send_signal(signal.SIGTERM)
        try:
            serve.wait(120)
        finally:
            serve.kill()
            log.close()
    deployments = httpx.post(f"{api(env)}/deployments/filter", json={}).raise_for_status().json()
    served = {d["name"]: d for d in deployments}
    assert {"ingest-inbox", "push", "land"} <= set(served)
    assert all(served[name]["paused"] for name in ("ingest-inbox", "push", "land")), "stopping serve pauses the schedules"
    hooks = [h for h in ls_client.sdk.webhooks.list() if h.url.endswith("/webhook")]
    assert not [h for h in hooks if str(env["CLAIMFLOW_WEBHOOK_PORT"]) in h.url], "the webhook is removed on stop"


def deployment_id(env, deployment: str) -> str | None:
    found = httpx.post(f"{api(env)}/deployments/filter", json={"deployments": {"name": {"any_": [deployment]}}}).raise_for_status().json()
    return found[0]["id"] if found else None


def deployment_runs(env, deployment: str, *, states=None) -> list[dict]:
    """The flow runs of one of serve's deployments (by its name), newest first."""
    if (found := deployment_id(env, deployment)) is None:
        return []
    query = {"flow_runs": {"deployment_id": {"any_": [found]}}, "sort": "EXPECTED_START_TIME_DESC"}
    if states:
        query["flow_runs"]["state"] = {"type": {"any_": states}}
    return httpx.post(f"{api(env)}/flow_runs/filter", json=query).raise_for_status().json()


def submitted(env, deployment: str, *, running_in: int | None = None):
    """A run of the deployment as Prefect's runner submits it: created, then proposed Pending, which
    takes the deployment's one concurrency slot; with ``running_in``, then Running, in the process
    of that pid (recorded as the flows record it)."""
    import socket

    from prefect.client.orchestration import get_client
    from prefect.states import Pending, Running

    with get_client(sync_client=True) as client:
        run = client.create_flow_run_from_deployment(deployment_id(env, deployment))
        assert client.set_flow_run_state(run.id, Pending()).state.type.value == "PENDING", "the slot was free"
        if running_in is not None:
            assert client.set_flow_run_state(run.id, Running()).state.type.value == "RUNNING"
            client.update_flow_run(run.id, infrastructure_pid=f"{socket.gethostname()}:{running_in}")
        return str(run.id)


def state_of(env, run_id: str) -> str:
    return httpx.get(f"{api(env)}/flow_runs/{run_id}").raise_for_status().json()["state_type"]


def dead_pid() -> int:
    gone = subprocess.Popen(["true"])
    gone.wait()
    return gone.pid


def stop(serve: subprocess.Popen) -> None:
    serve.send_signal(signal.SIGTERM)
    try:
        serve.wait(120)
    finally:
        serve.kill()


@pytest.mark.slow
def test_runs_a_stopped_or_killed_serve_left_pending_or_running_do_not_block_the_next_serve(prefect_env, prefect_server, tmp_path):
    inbox = tmp_path / "inbox"
    yearly = "0 0 1 1 *"  # a deployment that serve registers but does not run during the test
    env = prefect_env | {
        "CLAIMFLOW_DB": str(tmp_path / "w.duckdb"), "CLAIMFLOW_INBOX": str(inbox), "CLAIMFLOW_INBOX_SETTLE_SECONDS": "0",
        "CLAIMFLOW_SCHEDULE_INGEST": "3", "CLAIMFLOW_SCHEDULE_MATCH": yearly, "CLAIMFLOW_SCHEDULE_PUSH": "off",
        "CLAIMFLOW_SCHEDULE_LAND": "off", "CLAIMFLOW_SCHEDULE_MORNING": yearly,
    }
    first = subprocess.Popen([str(EXE), "serve", "--no-webhooks"], env=env, stdout=open(tmp_path / "first.log", "w"), stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: deployment_runs(env, "ingest-inbox", states=["COMPLETED"]), 300, "the first serve to run the inbox")
        assert f"ingest-inbox: every 3 s, new article files in {inbox}\n" in (tmp_path / "first.log").read_text()
        # Stopped while its runner submits a run: the run is Pending, holding the deployment's slot.
        in_submission = submitted(env, "morning")
        again = claimflow("serve", "--no-webhooks", env=env, check=False, timeout=120)
        assert again.returncode == 1 and f"claimflow serve already runs (pid {first.pid}" in again.stderr, again.stderr
    finally:
        stop(first)
    assert state_of(env, in_submission) == "CRASHED", "a clean stop frees what it was submitting"

    # Then killed: one run left Pending mid-submission, one Running in a process that is gone.
    pending, running = submitted(env, "ingest-inbox"), submitted(env, "match", running_in=dead_pid())
    env |= {"CLAIMFLOW_SCHEDULE_MATCH": "3", "CLAIMFLOW_SCHEDULE_MORNING": "off"}
    started = time.time()
    second = subprocess.Popen([str(EXE), "serve", "--no-webhooks"], env=env, stdout=open(tmp_path / "second.log", "w"), stderr=subprocess.STDOUT)
    try:
        # Well within Prefect's lease (300 s), after which the slots would have been freed anyway.
        for deployment in ("ingest-inbox", "match"):
            wait_for(lambda: [r for r in deployment_runs(env, deployment, states=["COMPLETED"])
                              if r["start_time"] and datetime.fromisoformat(r["start_time"]).timestamp() > started],
                     150, f"the next serve to run {deployment}")
    finally:
        stop(second)
    assert (state_of(env, pending), state_of(env, running)) == ("CRASHED", "CRASHED")
    assert not deployment_runs(env, "ingest-inbox", states=["PENDING", "RUNNING"])
    assert not deployment_runs(env, "match", states=["PENDING", "RUNNING"])


@pytest.mark.slow
def test_prefect_stopping_under_serve_is_one_line_naming_prefect(prefect_env, tmp_path):
    env = prefect_env | {
        "CLAIMFLOW_DB": str(tmp_path / "w.duckdb"), "CLAIMFLOW_INBOX": str(tmp_path / "inbox"),
        "CLAIMFLOW_PREFECT_PORT": str(free_port()), "CLAIMFLOW_PREFECT_DATA_DIR": str(tmp_path / "prefect"),  # a server of its own
        "CLAIMFLOW_SCHEDULE_INGEST": "3", "CLAIMFLOW_SCHEDULE_MATCH": "off", "CLAIMFLOW_SCHEDULE_PUSH": "off",
        "CLAIMFLOW_SCHEDULE_LAND": "off", "CLAIMFLOW_SCHEDULE_MORNING": "off",
    }
    claimflow("prefect", "start", env=env, timeout=600)
    serve = subprocess.Popen([str(EXE), "serve", "--no-webhooks"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_for(lambda: deployment_runs(env, "ingest-inbox", states=["COMPLETED"]), 300, "serve to run the inbox")
        claimflow("prefect", "stop", env=env)
        stdout, stderr = serve.communicate(timeout=120)
    finally:
        serve.kill()
        claimflow("prefect", "stop", env=env)
    (tmp_path / "serve.out").write_text(stdout + "\n---\n" + stderr)
    assert serve.returncode == 1
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"error: the Prefect server at {api(env)} stopped answering (") and last.endswith(
        "); serve stopped: start it again (`claimflow prefect start` for the local one, or check PREFECT_API_URL) "
        "and run `claimflow serve` again"), last
    assert "Traceback" not in stdout + stderr and "ConnectError" not in stdout + stderr
