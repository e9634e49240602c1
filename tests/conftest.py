"""Shared fixtures: a temporary DuckDB file, the spaCy pipeline, the sample articles, a Prefect
home of the test session's own (set before prefect is imported); the session's servers (one
Prefect server, one Label Studio), and warehouses ingested and matched once per session that
tests copy."""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="claimflow-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.pop("PREFECT_API_URL", None)
for _name in [n for n in os.environ if n.startswith("CLAIMFLOW_")]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "articles"
FIXTURES = ROOT / "tests" / "fixtures"


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "warehouse" / "claimflow.duckdb"


@pytest.fixture(scope="session")
def nlp():
    from claims.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def sample_articles():
    from claims.sources import expand_paths, read_articles

    files, errors = expand_paths([SAMPLES])
    assert not errors
    return list(read_articles(files, 2_000_000))


@pytest.fixture(scope="session")
def sample_extractions(nlp, sample_articles):
    from claims.extract import extract

    return list(extract(nlp, sample_articles))


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- PostgreSQL: one private cluster per session, an empty database per test -------------------

@pytest.fixture(scope="session")
def postgres():
    """A private PostgreSQL cluster from the machine's binaries, started by claimflow's own
    LocalPostgres on a free loopback port (its superuser's password generated, in its pgpass
    file), stopped and removed at the end of the session. Its folder is made with tempfile, not
    tmp_path: when the tests run as root the server runs as the postgres account, which cannot
    pass through pytest's private temporary folders."""
    from flows.postgres_local import LocalPostgres

    folder = Path(tempfile.mkdtemp(prefix="claimflow-postgres-"))
    server = LocalPostgres(data_dir=folder, port=free_port(), settings={"fsync": "off"})  # nothing here outlives the session
    server.start(timeout=120)
    yield server
    server.stop()
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres_database(postgres, request):
    """An empty database of the session's PostgreSQL, new for this test and dropped after it: its
    DatabaseLogin (host, port, user, password, name; ``conninfo()`` gives the libpq string, without
    the password unless asked). PGPASSFILE names the cluster's password file meanwhile."""
    import re
    import uuid

    name = f"t_{re.sub(r'[^a-z0-9]+', '_', request.node.name.lower())[:40]}_{uuid.uuid4().hex[:8]}"
    postgres.create_databases(name)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("PGPASSFILE", str(postgres.write_pgpass()))
        yield postgres.login(name)
    postgres.drop_database(name)


# --- the session's servers: one Prefect server, one Label Studio --------------------------------

@pytest.fixture(scope="session", autouse=True)
def servers_starting(request, tmp_path_factory):
    """The servers that the selected tests ask for, started in the background before the first
    test, so that they start while the unit tests run: Label Studio takes about 50 s to start
    here, the Prefect server about 15 s, and on two cores the two starts and the unit tests
    overlap. Starts nothing when no selected test needs a server (`make test-unit`). Returns what
    it started, for `local_prefect` and `label_studio` to wait for; stops it at the end."""
    import subprocess
    import sys
    import threading

    needed = set().union(*(item.fixturenames for item in request.session.items))
    started = {}
    if "local_prefect" in needed:  # every fixture of the Prefect server asks for local_prefect
        home = tmp_path_factory.mktemp("local-prefect")
        env = dict(
            CLAIMFLOW_PREFECT_PORT=str(free_port()), CLAIMFLOW_PREFECT_DATA_DIR=str(home / "prefect"),
            PREFECT_SERVER_SERVICES_SCHEDULER_LOOP_SECONDS="2",  # schedule new deployments' runs within seconds
            # A few runs ahead, not 100: the tests' schedules are seconds apart, and 100 runs of each of
            # serve's deployments at once kept SQLite locked for a minute (every API call waiting).
            PREFECT_SERVER_SERVICES_SCHEDULER_MAX_RUNS="5",
            PREFECT_SERVER_SERVICES_REPOSSESSOR_LOOP_SECONDS="2",  # reclaim expired writer slots within seconds
            PREFECT_RUNNER_POLL_FREQUENCY="2",
            CLAIMFLOW_PREFECT_START_TIMEOUT="600",  # a first start migrates the database: minutes on a loaded machine
        )
        environment = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"} | env
        exe = str(Path(sys.executable).with_name("claimflow"))
        starting = subprocess.Popen([exe, "prefect", "start"], env=environment, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, text=True)
        started["prefect"] = (env, starting)
    if "label_studio" in needed:
        from annotation.server import LocalServer

        server = LocalServer(data_dir=tmp_path_factory.mktemp("labelstudio"), venv=ROOT / ".venv-labelstudio", port=free_port())
        failures = []

        def start():
            try:
                server.start(timeout=400)
            except Exception as err:  # raised again by the fixture that waits for it
                failures.append(err)

        thread = threading.Thread(target=start, name="label-studio-start", daemon=True)
        thread.start()
        started["label_studio"] = (server, thread, failures)
    yield started
    if "label_studio" in started:
        server, thread, _ = started["label_studio"]
        thread.join()
        server.stop()
    if "prefect" in started:
        starting.kill()  # still starting only if no test waited for it
        starting.wait()
        subprocess.run([exe, "prefect", "stop"], env=environment, capture_output=True)


@pytest.fixture(scope="session")
def local_prefect(servers_starting):
    """The session's one Prefect server: the local server claimflow starts (`claimflow prefect
    start`, as a new user's first command does), with its services: the scheduler runs
    `claimflow serve`'s deployments, the repossessor frees a killed flow's writer slot. Returns the
    settings that point a `claimflow` command in its own process at it (PREFECT_API_URL unset, as
    a new user has it: the command finds the running server by its port and data folder); flows
    run in this process use it through the `prefect_server` fixture."""
    env, starting = servers_starting["prefect"]
    output, _ = starting.communicate(timeout=900)
    assert starting.returncode == 0, output
    return env  # to add to the environment of the commands (without PREFECT_API_URL)


@pytest.fixture(scope="session")
def prefect_server(local_prefect):
    """Flows run in this process, and in the threads it starts, use the session's Prefect server:
    its API URL in the current settings and in the process-wide ones that new threads read.

    Without flow heartbeats: claimflow does not use them (Prefect's automations detect crashed
    runs by them), and at the end of every flow run the engine waits for its heartbeat thread,
    which sleeps in one-second steps: about 0.9 s a flow run, subflows included, here."""
    import prefect.context
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    api = f"http://127.0.0.1:{local_prefect['CLAIMFLOW_PREFECT_PORT']}/api"
    process_wide = prefect.context.GLOBAL_SETTINGS_CONTEXT
    with temporary_settings(updates={PREFECT_API_URL: api, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None}):
        prefect.context.GLOBAL_SETTINGS_CONTEXT = prefect.context.get_settings_context()
        try:
            yield api
        finally:
            APILogWorker.drain_all(timeout=30)  # the last logs and events reach the server before it stops
            EventsWorker.drain_all(timeout=30)
            prefect.context.GLOBAL_SETTINGS_CONTEXT = process_wide


@pytest.fixture(scope="session")
def label_studio(servers_starting):
    """A real Label Studio from the project's own venv, on a free loopback port, with a
    temporary data folder, started through claimflow's own LocalServer."""
    server, thread, failures = servers_starting["label_studio"]
    thread.join()
    if failures:
        raise failures[0]
    return server


@pytest.fixture
def ls_env(label_studio, db_path, monkeypatch, request):
    """Settings that point the flows at the session's Label Studio (as the local server, so the
    reuse path is exercised) with a project of this test's own and a fresh warehouse."""
    import re

    monkeypatch.setenv("CLAIMFLOW_DB", str(db_path))
    monkeypatch.setenv("CLAIMFLOW_LS_DATA_DIR", str(label_studio.data_dir))
    monkeypatch.setenv("CLAIMFLOW_LS_PORT", str(label_studio.port))
    title = re.sub(r"\W+", " ", request.node.name)[:44]  # Label Studio allows 50 characters
    monkeypatch.setenv("CLAIMFLOW_LS_PROJECT", title)
    monkeypatch.setenv("CLAIMFLOW_LS_PAIR_PROJECT", f"{title} pairs")
    monkeypatch.setenv("CLAIMFLOW_LS_RETRY_DELAY", "0.2")
    monkeypatch.delenv("LABEL_STUDIO_URL", raising=False)
    monkeypatch.delenv("LABEL_STUDIO_API_KEY", raising=False)
    return label_studio


@pytest.fixture
def ls_client(label_studio):
    from tests.helpers import ScriptedClient

    client = ScriptedClient(label_studio.url, label_studio.credentials().token)
    yield client
    client.close()


def sign_up(admin, email: str, password: str):
    """A new annotator, as people join Label Studio: the admin's client reads the organisation's
    invite link through the API, the person signs up there (the sign-up form, over HTTP) and
    takes their own API token. Returns a client acting as them (their edits carry their user)."""
    import re

    import httpx

    from tests.helpers import ScriptedClient

    invite = admin.invite_url()
    with httpx.Client(follow_redirects=False, timeout=60) as browser:
        form = browser.get(invite)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        signed = browser.post(invite, data={"email": email, "password": password, "csrfmiddlewaretoken": csrf},
                              headers={"Referer": invite})
        assert signed.status_code == 302, f"sign-up of {email} failed: {signed.status_code}"
        token = browser.get(f"{admin.url}/api/current-user/token").json()["token"]
    return ScriptedClient(admin.url, token)


# --- warehouses built once per session, copied into each test ----------------------------------

def default_settings(monkeypatch):
    """claimflow's defaults: no CLAIMFLOW_ or Label Studio setting of the test that asked first."""
    for name in [n for n in os.environ if n.startswith(("CLAIMFLOW_", "LABEL_STUDIO_"))]:
        monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def ingested_warehouse(prefect_server, tmp_path_factory):
    """The sample articles ingested once, by the real ingest flow with the default settings:
    (the warehouse file, the flow's report). Nothing is ever pushed from it (tests push from
    copies), so it maps no claim to a task of any test's project."""
    from flows.ingest import ingest_flow

    db = tmp_path_factory.mktemp("ingested") / "claimflow.duckdb"
    with pytest.MonkeyPatch.context() as monkeypatch:
        default_settings(monkeypatch)
        report = ingest_flow(paths=[str(SAMPLES)], db=str(db))
    assert report.ok
    return db, report


@pytest.fixture(scope="session")
def matched_warehouse(ingested_warehouse, tmp_path_factory):
    """A copy of the ingested warehouse matched once, by the real match flow with the default
    settings: (the warehouse file, the flow's report)."""
    from flows.match import match_flow

    db = copy_warehouse(ingested_warehouse[0], tmp_path_factory.mktemp("matched") / "claimflow.duckdb")
    with pytest.MonkeyPatch.context() as monkeypatch:
        default_settings(monkeypatch)
        report = match_flow(db=str(db))
    return db, report


def copy_warehouse(template: Path, db: Path) -> Path:
    """A session-built warehouse copied to ``db`` (the DuckDB file; a write-ahead log too if one
    was left), for a test to change as it likes."""
    db.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, db)
    wal = template.with_name(template.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, db.with_name(db.name + ".wal"))
    return db


@pytest.fixture
def ingested(ls_env, db_path, ingested_warehouse):
    """The sample articles ingested into this test's warehouse (a copy of the session's)."""
    template, report = ingested_warehouse
    copy_warehouse(template, db_path)
    return dataclasses.replace(report, db=str(db_path))


@pytest.fixture
def matched(ls_env, db_path, matched_warehouse):
    """The sample articles ingested and matched in this test's warehouse (a copy of the session's):
    the match flow's report."""
    template, report = matched_warehouse
    copy_warehouse(template, db_path)
    assert report.pairs_new > 0
    return report


# --- a DuckLake warehouse of its own for a test, its catalog on the session's PostgreSQL --------

def ducklake_db(login) -> str:
    """The CLAIMFLOW_DB string of a DuckLake catalog in the database of ``login`` (a
    DatabaseLogin), its password in it as a user would write it."""
    return "ducklake:postgres:" + login.conninfo(with_password=True)


@pytest.fixture
def lake_env(postgres_database, tmp_path, monkeypatch) -> dict:
    """A new empty DuckLake warehouse for the test: CLAIMFLOW_DB and CLAIMFLOW_DUCKLAKE_DATA_PATH set
    in this process (and returned, for commands in their own processes)."""
    env = {"CLAIMFLOW_DB": ducklake_db(postgres_database),
           "CLAIMFLOW_DUCKLAKE_DATA_PATH": str(tmp_path / "lake-data")}
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    from warehouse.db import set_data_path

    set_data_path(env["CLAIMFLOW_DUCKLAKE_DATA_PATH"])  # for connections opened in this process without settings
    yield env
    set_data_path(None)
