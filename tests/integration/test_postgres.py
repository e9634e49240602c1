"""The local PostgreSQL: `claimflow postgres start|status|stop` as a user runs them, and the local
Label Studio and Prefect server keeping their data in it (CLAIMFLOW_SERVERS_DATABASE=postgres)."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.helpers import showing

CLAIMFLOW = str(Path(sys.executable).with_name("claimflow"))


def claimflow(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([CLAIMFLOW, *args], env=env, capture_output=True, text=True, timeout=300)


def listening_addresses(port: int) -> set[str]:
    """The local addresses (hex, as /proc gives them) of the TCP sockets listening on ``port``."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            address, _, hex_port = fields[1].rpartition(":")
            if fields[3] == "0A" and int(hex_port, 16) == port:
                found.add(address)
    return found


@pytest.fixture
def postgres_env():
    """A new user's settings for a private cluster of their own: a folder (made with tempfile, which
    the postgres account can reach when the tests run as root) and a free port. Stops it after."""
    folder = Path(tempfile.mkdtemp(prefix="claimflow-pg-cli-"))
    folder.chmod(0o711)  # as a home folder is: others pass through, cannot list it
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "PG"))}
    env.update(CLAIMFLOW_POSTGRES_DATA_DIR=str(folder / "postgres"), CLAIMFLOW_POSTGRES_PORT=str(free_port()),
               CLAIMFLOW_LOG_FILE=str(folder / "claimflow.log"))
    yield env
    claimflow("postgres", "stop", env=env)
    shutil.rmtree(folder, ignore_errors=True)


def test_postgres_commands_start_a_private_cluster_on_loopback_and_never_show_its_password(postgres_env):
    env = postgres_env
    folder, port = Path(env["CLAIMFLOW_POSTGRES_DATA_DIR"]), int(env["CLAIMFLOW_POSTGRES_PORT"])

    first = claimflow("postgres", "start", env=env)
    assert first.returncode == 0, first.stderr
    assert "PostgreSQL started at postgresql://127.0.0.1:" in first.stdout
    again = claimflow("postgres", "start", env=env)
    assert again.returncode == 0 and "already running" in again.stdout
    status = claimflow("postgres", "status", env=env)
    assert status.returncode == 0 and status.stdout.startswith(f"running: postgresql://127.0.0.1:{port}")
    lines = claimflow("postgres", "env", env=env)
    assert f"CLAIMFLOW_DB='ducklake:postgres:dbname=lake host=127.0.0.1 port={port} user=claimflow'" in lines.stdout
    assert f"PGPASSFILE={folder / 'pgpass'}" in lines.stdout

    password = (folder / "password").read_text().strip()
    assert len(password) >= 24
    log = Path(env["CLAIMFLOW_LOG_FILE"])
    leaks = showing(password, **{f"output of {n}": r.stdout + r.stderr for n, r in
                                 (("start", first), ("start again", again), ("status", status), ("env", lines))},
                    server_log=(folder / "server.log").read_text(), claimflow_log=log.read_text() if log.exists() else "")
    assert leaks == []

    # loopback only, and the folders and password files private
    assert listening_addresses(port) == {"0100007F"}  # 127.0.0.1, nothing on other addresses or IPv6
    assert stat.S_IMODE((folder / "cluster").stat().st_mode) == 0o700
    assert stat.S_IMODE(folder.stat().st_mode) == (0o711 if os.geteuid() == 0 else 0o700)
    for secret in (folder / "password", folder / "pgpass"):
        assert stat.S_IMODE(secret.stat().st_mode) == 0o600 and secret.stat().st_uid == os.geteuid()
    if os.geteuid() == 0:  # the server's own account can reach its cluster, not the password
        assert subprocess.run(["runuser", "-u", "postgres", "--", "cat", str(folder / "password")],
                              capture_output=True).returncode != 0
        assert subprocess.run(["runuser", "-u", "postgres", "--", "ls", str(folder)], capture_output=True).returncode != 0

    # the databases of the servers and the DuckLake catalog, reachable with the password file only
    from flows.postgres_local import LocalPostgres

    server = LocalPostgres(data_dir=folder, port=port)
    assert {"labelstudio", "prefect", "lake"} <= server.databases()
    assert server.query("lake", "select current_user") == [["claimflow"]]

    stopped = claimflow("postgres", "stop", env=env)
    assert stopped.returncode == 0 and stopped.stdout.strip() == "stopped"
    down = claimflow("postgres", "status", env=env)
    assert down.returncode == 1 and down.stdout.startswith("not running")
    restarted = claimflow("postgres", "start", env=env)  # the same cluster and password again
    assert restarted.returncode == 0 and "PostgreSQL started" in restarted.stdout
    same_password = (folder / "password").read_text().strip() == password
    assert same_password
    assert {"labelstudio", "prefect", "lake"} <= server.databases()


def test_postgres_start_refuses_a_port_taken_by_another_process(postgres_env, postgres):
    env = postgres_env | {"CLAIMFLOW_POSTGRES_PORT": str(postgres.port)}
    started = claimflow("postgres", "start", env=env)
    assert started.returncode == 1
    assert started.stderr.startswith(f"error: port {postgres.port} on 127.0.0.1 is taken by another process")
    assert "CLAIMFLOW_POSTGRES_PORT" in started.stderr
    status = claimflow("postgres", "status", env=env)
    assert status.returncode == 1 and "taken by another process" in status.stdout


def test_postgres_database_fixture_gives_an_empty_database_of_its_own(postgres_database, postgres):
    assert postgres_database.name in postgres.databases()
    tables = postgres.query(postgres_database.name, "select count(*) from information_schema.tables where table_schema = 'public'")
    assert tables == [["0"]]
    assert postgres.query(postgres_database.name, "show fsync") == [["off"]]  # the session's server settings apply
    leaks = showing(postgres_database.password, repr=repr(postgres_database), conninfo=postgres_database.conninfo())
    assert leaks == []


@pytest.mark.slow
def test_label_studio_on_postgres_keeps_projects_tasks_and_annotations_there(postgres, tmp_path):
    import re

    from annotation.config import config_text
    from annotation.results import annotation_result
    from annotation.server import LocalServer
    from tests.helpers import ScriptedClient

    server = LocalServer(data_dir=tmp_path / "labelstudio", venv=ROOT / ".venv-labelstudio", port=free_port(),
                         database_server=postgres)
    server.start(timeout=600)
    try:
        client = ScriptedClient(server.url, server.credentials().token)
        project = client.create_project("claims on postgres", config_text())
        fields = dict.fromkeys(re.findall(r"\$(\w+)", config_text()), "Unemployment fell to 3.9% in March.")
        [task] = client.import_tasks(project, [{"data": fields | {"claim_id": "c-pg-1"}}])
        annotator = client.ensure_user("annotator@claimflow.local")
        client.annotate(task, annotation_result(verdict="supported", confidence=4), user=annotator)
        [exported] = client.export_tasks(project, [task])
        client.close()
    finally:
        server.stop()

    assert exported["data"]["claim_id"] == "c-pg-1"
    [annotation] = exported["annotations"]
    assert {"choices": ["supported"]} in [item["value"] for item in annotation["result"]]
    rows = postgres.query("labelstudio", f"select t.data->>'claim_id', count(c.id) from task t join task_completion c "
                                         f"on c.task_id = t.id where t.project_id = {project} group by 1")
    assert rows == [["c-pg-1", "1"]]
    assert not (server.data_dir / "label_studio.sqlite3").exists()
    leaks = showing(postgres.password(), label_studio_log=server.log_file.read_text())
    assert leaks == []


@pytest.mark.slow
def test_prefect_server_on_postgres_records_flow_runs_there(postgres, tmp_path):
    from flows.prefect_local import LocalPrefect

    server = LocalPrefect(data_dir=tmp_path / "prefect", port=free_port(), database_server=postgres)
    server.start(timeout=600)
    try:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_API_URL=server.api_url, PREFECT_HOME=str(tmp_path / "client"))
        code = "from prefect import flow\n@flow(name='on-postgres')\ndef f():\n    return 42\nassert f() == 42\n"
        ran = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert ran.returncode == 0, ran.stderr
    finally:
        server.stop()

    runs = postgres.query("prefect", "select f.name, r.state_type from flow_run r join flow f on f.id = r.flow_id")
    assert ["on-postgres", "COMPLETED"] in runs
    assert not (server.data_dir / "prefect.db").exists()
    leaks = showing(postgres.password(), prefect_log=server.log_file.read_text())
    assert leaks == []


@pytest.mark.skipif(os.geteuid() != 0, reason="only root hands the cluster to the postgres account")
def test_postgres_start_as_root_names_the_setting_when_the_postgres_account_cannot_reach_the_folder(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "PG"))}
    env.update(CLAIMFLOW_POSTGRES_DATA_DIR=str(tmp_path / "postgres"), CLAIMFLOW_POSTGRES_PORT=str(free_port()),
               CLAIMFLOW_LOG_FILE=str(tmp_path / "claimflow.log"))  # pytest's folders are root's alone (0700)
    started = claimflow("postgres", "start", env=env)
    assert started.returncode == 1 and started.stderr.count("\n") == 1, started.stderr  # one line
    assert "the postgres account" in started.stderr and "set CLAIMFLOW_POSTGRES_DATA_DIR" in started.stderr
    assert not (tmp_path / "postgres" / "cluster").exists()


NORMAL_USER_RUN = """
import json, os, stat, sys
from pathlib import Path
from flows.postgres_local import LocalPostgres

server = LocalPostgres(data_dir=Path(sys.argv[1]), port=int(sys.argv[2]))
status, started = server.start()
try:
    modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in (server.data_dir, server.cluster, server.password_file)}
    print(json.dumps({"started": started, "running": status.running, "modes": modes, "uid": os.geteuid(),
                      "databases": sorted(server.databases())}))
finally:
    server.stop()
"""


@pytest.mark.skipif(os.geteuid() != 0 or not Path("/usr/bin/python3").exists(), reason="needs root to act as another account")
def test_run_by_a_normal_user_the_cluster_is_that_users_with_a_private_folder(tmp_path):
    """The path a non-root user takes (initdb and pg_ctl run directly), played by the postgres
    account with the system's Python (the venv's interpreter lives under root's home): the module
    needs only the standard library."""
    import json
    import pwd

    account = pwd.getpwnam("postgres")
    folder = Path(tempfile.mkdtemp(prefix="claimflow-pg-user-"))
    os.chown(folder, account.pw_uid, account.pw_gid)
    try:
        ran = subprocess.run(
            ["runuser", "-u", "postgres", "--", "/usr/bin/python3", "-c", NORMAL_USER_RUN, str(folder / "pg"), str(free_port())],
            env={"PATH": os.environ["PATH"], "PYTHONPATH": str(ROOT), "HOME": str(folder)}, cwd=folder,
            capture_output=True, text=True, timeout=300,
        )
        assert ran.returncode == 0, ran.stderr
        seen = json.loads(ran.stdout.splitlines()[-1])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert seen["started"] and seen["running"] and seen["uid"] == account.pw_uid
    assert seen["modes"] == {"pg": 0o700, "cluster": 0o700, "password": 0o600}
    assert {"labelstudio", "prefect", "lake"} <= set(seen["databases"])
