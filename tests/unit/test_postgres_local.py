"""The local PostgreSQL without starting it: its password files, how the local Label Studio and
Prefect server are pointed at it (and the password kept out of what is shown), and the setting
that chooses it."""

import os
import stat

import pytest

from annotation.local_server import DatabaseLogin
from annotation.server import LocalServer
from flows.postgres_local import DATABASES, LocalPostgres
from flows.prefect_local import LocalPrefect
from tests.conftest import ROOT, free_port


@pytest.fixture
def cluster(tmp_path):
    return LocalPostgres(data_dir=tmp_path / "postgres", port=free_port())


def test_the_password_is_generated_once_and_kept_in_files_only_the_owner_reads(cluster):
    password = cluster.password()
    assert len(password) >= 24 and cluster.password() == password
    pgpass = cluster.write_pgpass()
    assert pgpass.read_text() == f"127.0.0.1:*:*:claimflow:{password}\n"
    for path in (cluster.password_file, pgpass):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(cluster.data_dir.stat().st_mode) == (0o711 if os.geteuid() == 0 else 0o700)


def test_a_login_and_its_connection_string_do_not_show_the_password(cluster):
    login = cluster.login("lake")
    assert cluster.password() not in repr(login) and cluster.password() not in login.conninfo()
    assert login.conninfo() == f"dbname=lake host=127.0.0.1 port={cluster.port} user=claimflow"
    assert cluster.ducklake() == f"ducklake:postgres:{login.conninfo()}"
    assert login.conninfo(with_password=True).endswith(f" password={cluster.password()}")


def test_the_cluster_holds_a_database_for_each_server_and_the_lake():
    assert DATABASES == ("labelstudio", "prefect", "lake")


def test_a_stopped_cluster_is_not_running_and_its_pid_file_is_read_as_postgres_writes_it(cluster):
    assert not cluster.status().running and cluster.stop() is False
    cluster.cluster.mkdir(parents=True)
    cluster.pid_file.write_text(f"{os.getpid()}\n{cluster.cluster}\n1700000000\n{cluster.port}\n/tmp\n127.0.0.1\n  1 2\nready\n")
    assert cluster.recorded() == (os.getpid(), cluster.port)
    assert cluster.pid() is None  # this test process is alive, but not this cluster's postgres


def test_label_studio_on_postgres_gets_its_database_and_drops_the_callers(tmp_path, cluster, monkeypatch):
    monkeypatch.setenv("POSTGRE_HOST", "db.example")  # a caller's setting must not redirect it
    monkeypatch.setenv("DJANGO_DB", "mysql")
    server = LocalServer(data_dir=tmp_path / "ls", venv=ROOT / ".venv-labelstudio", port=free_port(), database_server=cluster)
    env = server.environment()
    assert (env["DJANGO_DB"], env["POSTGRE_NAME"], env["POSTGRE_HOST"]) == ("postgresql", "labelstudio", "127.0.0.1")
    assert env["POSTGRE_PORT"] == str(cluster.port) and env["POSTGRE_PASSWORD"] == cluster.password()
    on_sqlite = LocalServer(data_dir=tmp_path / "ls2", venv=ROOT / ".venv-labelstudio", port=free_port()).environment()
    assert "DJANGO_DB" not in on_sqlite and "POSTGRE_HOST" not in on_sqlite


def test_prefect_on_postgres_gets_the_parts_of_its_database_and_no_url_with_the_password(tmp_path, cluster, monkeypatch):
    monkeypatch.setenv("PREFECT_SERVER_DATABASE_CONNECTION_URL", "sqlite+aiosqlite:///elsewhere.db")
    env = LocalPrefect(data_dir=tmp_path / "prefect", port=free_port(), database_server=cluster).environment()
    assert "PREFECT_SERVER_DATABASE_CONNECTION_URL" not in env
    assert env["PREFECT_SERVER_DATABASE_DRIVER"] == "postgresql+asyncpg"
    assert (env["PREFECT_SERVER_DATABASE_NAME"], env["PREFECT_SERVER_DATABASE_PORT"]) == ("prefect", str(cluster.port))
    assert env["PREFECT_SERVER_DATABASE_PASSWORD"] == cluster.password()
    on_sqlite = LocalPrefect(data_dir=tmp_path / "p2", port=free_port()).environment()
    assert on_sqlite["PREFECT_SERVER_DATABASE_CONNECTION_URL"].startswith("sqlite+aiosqlite:///")


@pytest.mark.parametrize("value, expected", [("sqlite", None), ("postgres", LocalPostgres)])
def test_servers_database_chooses_where_the_local_servers_keep_their_data(value, expected, monkeypatch, tmp_path):
    from flows.labelstudio import local_server
    from flows.prefect_local import local_prefect
    from flows.settings import Settings

    monkeypatch.chdir(tmp_path)
    settings = Settings(servers_database=value)
    for server in (local_server(settings), local_prefect(settings)):
        assert (server.database_server is None) if expected is None else isinstance(server.database_server, expected)


def test_database_login_is_not_shown_by_repr():
    login = DatabaseLogin("127.0.0.1", 5433, "claimflow", "s3cret-value", "lake")
    assert "s3cret-value" not in repr(login) and "s3cret-value" not in str(login)
