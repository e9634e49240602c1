"""A private PostgreSQL cluster for the local Label Studio, the local Prefect server and a DuckLake
catalog: ``claimflow postgres start|stop|status``.

The cluster lives in the data folder (``CLAIMFLOW_POSTGRES_DATA_DIR``, default data/postgres):

    data/postgres/           the owner's alone (0700; 0711 when claimflow runs as root, see below)
        cluster/             PGDATA, 0700, owned by the account the server runs as
        password             the superuser's password, generated at the first start (0600)
        pgpass               the same as a libpq password file (0600), for PGPASSFILE
        server.log           the server's log

It listens on 127.0.0.1 only (TCP; no Unix socket), with scram-sha-256
passwords for every connection, and holds one database each for Label Studio, Prefect and the
DuckLake catalog (:data:`DATABASES`), created at the first start. The password is never printed
or logged: the servers get it in their environment, libpq programs (psql, DuckDB's postgres
extension) read it from the pgpass file.

PostgreSQL refuses to run as root. When claimflow runs as root, initdb and pg_ctl run as the
``postgres`` account (runuser); the cluster folder is then that account's, and the data folder
0711, so that the account can reach its cluster but cannot list the folder or read the password
files, which stay the caller's alone.

Nothing here imports prefect.
"""

from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import shlex
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from annotation.errors import ServerStartError
from annotation.local_server import DatabaseLogin, LocalServerBase, ServerStatus
from annotation.server import DATABASE_NAME as LABEL_STUDIO_DATABASE
from flows.prefect_local import DATABASE_NAME as PREFECT_DATABASE

HOST = "127.0.0.1"
LAKE_DATABASE = "lake"  # the DuckLake catalog's
DATABASES = (LABEL_STUDIO_DATABASE, PREFECT_DATABASE, LAKE_DATABASE)  # made at the first start
SERVER_ACCOUNT = "postgres"  # the account the server runs as when claimflow runs as root
# libpq and server variables of the caller's environment that would redirect our programs.
_SCRUB = ("PGDATA", "PGHOST", "PGHOSTADDR", "PGPORT", "PGUSER", "PGPASSWORD", "PGPASSFILE", "PGDATABASE", "PGSERVICE",
          "PGSERVICEFILE", "PGOPTIONS")


def default_bin_dir() -> Path:
    """The newest of Debian's /usr/lib/postgresql/<version>/bin, else the folder of pg_ctl on PATH."""
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name)
                      if p.parent.parent.name.isdigit() else 0)
    if versions:
        return versions[-1].parent
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found else Path("/usr/lib/postgresql/15/bin")


class LocalPostgres(LocalServerBase):
    """A private PostgreSQL cluster in ``data_dir``, on 127.0.0.1:``port``, superuser ``user``."""

    start_timeout = 60.0
    poll_interval = 0.25
    still_starting = "PostgreSQL (pid {pid}) does not accept connections on {server.url}; see {server.log_file}"
    not_installed = "no PostgreSQL at {server.bin_dir}; install Debian's postgresql, or set CLAIMFLOW_POSTGRES_BIN"
    port_taken = (
        "port {server.port} on {server.host} is taken by another process (not started by claimflow); "
        "set CLAIMFLOW_POSTGRES_PORT to a free port"
    )
    port_setting = "CLAIMFLOW_POSTGRES_PORT"
    starting = "starting the local PostgreSQL at {server.url}"
    first_starting = "starting the local PostgreSQL at {server.url} (the first start creates its cluster: a few seconds)"
    never_healthy = "PostgreSQL did not accept connections at {server.url} within {timeout:.0f} s; see {server.log_file}"

    def __init__(self, *, data_dir: Path, port: int, host: str = HOST, user: str = "claimflow", bin_dir: Path | None = None,
                 settings: dict[str, str] | None = None):
        super().__init__(data_dir=data_dir, port=port, host=host)
        self.user = user
        self.bin_dir = Path(bin_dir) if bin_dir else default_bin_dir()
        self.settings = dict(settings or {})  # more server settings (-c NAME=VALUE), e.g. fsync=off for throwaway test clusters

    # where things are ----------------------------------------------------------------------------
    @property
    def cluster(self) -> Path:
        return self.data_dir / "cluster"

    @property
    def password_file(self) -> Path:
        return self.data_dir / "password"

    @property
    def pgpass_file(self) -> Path:
        return self.data_dir / "pgpass"

    @property
    def url(self) -> str:
        return f"postgresql://{self.host}:{self.port}"

    @property
    def executable(self) -> Path:
        return self.bin_dir / "postgres"

    @property
    def health_url(self) -> str:
        return self.url

    @property
    def database(self) -> Path:
        return self.cluster / "PG_VERSION"  # written by initdb

    @property
    def pid_file(self) -> Path:
        return self.cluster / "postmaster.pid"

    def recorded(self) -> tuple[int | None, int | None]:
        """The postmaster's pid and port from its postmaster.pid (lines 1 and 4)."""
        try:
            lines = self.pid_file.read_text().splitlines()
            return int(lines[0]), int(lines[3])
        except (OSError, ValueError, IndexError):
            return None, None

    def runs_here(self, cmdline: bytes) -> bool:
        parts = cmdline.split(b"\0")
        return parts[0].endswith(b"postgres") and str(self.cluster).encode() in parts

    def healthy(self) -> bool:
        answer = subprocess.run(
            [str(self.bin_dir / "pg_isready"), "-q", "-h", self.host, "-p", str(self.port), "-t", "3"],
            env=self._client_environment(), stdin=subprocess.DEVNULL, capture_output=True,
        )
        return answer.returncode == 0

    # the account the server runs as --------------------------------------------------------------
    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def _as_server(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", SERVER_ACCOUNT, "--", *command] if self.as_root else command

    def _give_to_server(self, path: Path) -> None:
        if self.as_root:
            account = pwd.getpwnam(SERVER_ACCOUNT)
            os.chown(path, account.pw_uid, account.pw_gid)

    def prepare_data_dir(self) -> None:
        """The data folder the caller's alone: 0700, or 0711 as root (the server's account passes
        through it to the cluster folder, and can neither list it nor read the password files)."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.data_dir, 0o711 if self.as_root else 0o700)

    def _check_reachable(self) -> None:
        """Whether the server's account can reach the data folder (every folder above it searchable)."""
        reach = subprocess.run(["runuser", "-u", SERVER_ACCOUNT, "--", "test", "-x", str(self.data_dir)],
                               stdin=subprocess.DEVNULL, capture_output=True)
        if reach.returncode != 0:
            blocking = next((str(p) for p in reversed(self.data_dir.parents) if not os.stat(p).st_mode & 0o001), None)
            raise ServerStartError(
                f"PostgreSQL runs as the {SERVER_ACCOUNT} account when claimflow runs as root, and that account cannot "
                f"reach {self.data_dir}{f' ({blocking} is closed to other users)' if blocking else ''}; "
                "set CLAIMFLOW_POSTGRES_DATA_DIR to a folder it can reach"
            )

    # the password --------------------------------------------------------------------------------
    def password(self) -> str:
        """The superuser's password, generated at the first call and kept 0600 (never printed)."""
        try:
            return self.password_file.read_text().strip()
        except FileNotFoundError:
            pass
        self.prepare_data_dir()
        password = secrets.token_urlsafe(24)  # letters, digits, '-' and '_': nothing to escape in a URL or pgpass line
        _write_private(self.password_file, password + "\n")
        return password

    def write_pgpass(self) -> Path:
        """The libpq password file for this cluster's user on any port and database of 127.0.0.1 (0600)."""
        line = f"{self.host}:*:*:{self.user}:{self.password()}\n"
        if not self.pgpass_file.exists() or self.pgpass_file.read_text() != line:
            self.pgpass_file.unlink(missing_ok=True)
            _write_private(self.pgpass_file, line)
        return self.pgpass_file

    def login(self, name: str) -> DatabaseLogin:
        """How to reach the database ``name`` of this cluster."""
        return DatabaseLogin(self.host, self.port, self.user, self.password(), name)

    def ducklake(self, name: str = LAKE_DATABASE) -> str:
        """The CLAIMFLOW_DB of a DuckLake catalog in database ``name``, without the password (PGPASSFILE gives it)."""
        return f"ducklake:postgres:{self.login(name).conninfo()}"

    # the lifecycle -------------------------------------------------------------------------------
    def start(self, *, timeout: float | None = None, announce: Callable[[str], None] | None = None) -> tuple[ServerStatus, bool]:
        """Start the cluster (creating it at the first start), or reuse the running one; either way
        make sure its databases exist. Returns (status, started_now). Starts from several processes
        at once (Label Studio's and Prefect's) take turns: one starts it, the others find it running."""
        timeout = self.start_timeout if timeout is None else timeout
        self.prepare_data_dir()
        with open(self.data_dir / ".start.lock", "a") as lock:
            os.chmod(lock.name, 0o600)
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._start(timeout, announce)

    def _start(self, timeout: float, announce: Callable[[str], None] | None) -> tuple[ServerStatus, bool]:
        current = self.status()
        if current.running:
            self.create_databases(*DATABASES)
            return current, False
        if current.pid is not None:  # starting: wait for it
            if not self.wait_healthy(current.pid, timeout):
                raise ServerStartError(self.message(self.still_starting, pid=current.pid))
            self.create_databases(*DATABASES)
            return self.status(), False
        if elsewhere := self.elsewhere():
            raise ServerStartError(elsewhere)
        if not (self.bin_dir / "pg_ctl").exists():
            raise ServerStartError(self.message(self.not_installed))
        if not self.port_free():
            raise ServerStartError(self.message(self.port_taken))
        if self.as_root:
            self._check_reachable()
        if announce is not None:
            announce(self.message(self.starting if self.database.exists() else self.first_starting))
        self.prepare_data_dir()
        self.write_pgpass()
        if not self.database.exists():
            self._initdb()
        self._prepare_log()
        started = self._run_as_server(
            [str(self.bin_dir / "pg_ctl"), "-D", str(self.cluster), "-l", str(self.log_file), "-w", "-t", str(int(timeout)),
             # TCP on the loopback address only; no Unix socket (-k ''), which would also bind the
             # length of the data folder's path to the socket path's limit of about 100 bytes
             "-o", " ".join([f"-p {self.port} -k '' -c listen_addresses={self.host}",
                             *(f"-c {shlex.quote(f'{k}={v}')}" for k, v in self.settings.items())]), "start"],
        )
        if started.returncode != 0:
            self.stop()
            raise ServerStartError(self.message(self.never_healthy, timeout=timeout))
        self.create_databases(*DATABASES)
        return self.status(), True

    def stop(self, *, timeout: float = 60.0) -> bool:
        """Stop the cluster if it runs (fast shutdown: open sessions are ended, nothing is lost);
        return whether it was running."""
        if self.pid() is None:
            return False
        self._run_as_server([str(self.bin_dir / "pg_ctl"), "-D", str(self.cluster), "-m", "fast", "-w", "-t",
                             str(int(timeout)), "stop"])
        return True

    def _initdb(self) -> None:
        """A new cluster: the superuser with the password, scram-sha-256 for every connection."""
        if self.cluster.exists() and any(self.cluster.iterdir()):
            raise ServerStartError(f"{self.cluster} is not empty and holds no PostgreSQL cluster; move it away")
        self.cluster.mkdir(mode=0o700, exist_ok=True)
        os.chmod(self.cluster, 0o700)
        self._give_to_server(self.cluster)
        secret = self.data_dir / ".initdb-password"  # read by initdb (the server's account), removed after
        secret.unlink(missing_ok=True)
        _write_private(secret, self.password() + "\n")
        self._give_to_server(secret)
        try:
            made = self._run_as_server(
                [str(self.bin_dir / "initdb"), "-D", str(self.cluster), "-U", self.user, "-A", "scram-sha-256",
                 f"--pwfile={secret}", "--encoding=UTF8", "--no-locale"],
            )
        finally:
            secret.unlink(missing_ok=True)
        if made.returncode != 0:
            raise ServerStartError(f"initdb could not create the PostgreSQL cluster in {self.cluster}; see {self.log_file}")

    def _prepare_log(self) -> None:
        if not self.log_file.exists():
            _write_private(self.log_file, "")
        self._give_to_server(self.log_file)  # pg_ctl opens it as the server's account

    def _run_as_server(self, command: list[str]) -> subprocess.CompletedProcess:
        """Run a PostgreSQL program as the server's account, its output appended to the log."""
        self._prepare_log()
        with open(self.log_file, "ab") as log:
            return subprocess.run(self._as_server(command), env=self._server_environment(), cwd=self.data_dir,
                                  stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)

    def _server_environment(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("LC_")} | {"LANG": "C"}

    def _client_environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        if self.pgpass_file.exists():
            env["PGPASSFILE"] = str(self.pgpass_file)
        return env

    # databases -----------------------------------------------------------------------------------
    def databases(self) -> set[str]:
        """The names of the cluster's databases."""
        listed = self._client(["psql", "--list", "--tuples-only", "--no-align", "--field-separator=|", "-d", "postgres"])
        return {line.split("|", 1)[0] for line in listed.splitlines() if "|" in line}  # an access list continues on lines without one

    def create_databases(self, *names: str) -> None:
        """Create those of ``names`` that do not exist yet, owned by the cluster's user."""
        for name in sorted(set(names) - self.databases()):
            self._client(["createdb", name])

    def drop_database(self, name: str) -> None:
        self._client(["dropdb", "--if-exists", "--force", name])

    def query(self, database: str, sql: str) -> list[list[str]]:
        """The rows of one statement run by psql in ``database``, as text (for checks and tests)."""
        text = self._client(["psql", "--tuples-only", "--no-align", "--field-separator=\t", "-v", "ON_ERROR_STOP=1",
                             "-d", database, "-c", sql])
        return [line.split("\t") for line in text.splitlines() if line]

    def _client(self, command: list[str]) -> str:
        """Run a libpq program against the cluster as its user (the password from the pgpass file)."""
        self.write_pgpass()
        program, *args = command
        done = subprocess.run(
            [str(self.bin_dir / program), "-h", self.host, "-p", str(self.port), "-U", self.user, "-w", *args],
            env=self._client_environment(), stdin=subprocess.DEVNULL, capture_output=True, text=True,
        )
        if done.returncode != 0:
            raise ServerStartError(f"{program} failed on the local PostgreSQL at {self.url}: {done.stderr.strip()}")
        return done.stdout


def _write_private(path: Path, text: str) -> None:
    """Write a new file only its owner can read (0600 from its creation, whatever the umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)


def local_postgres(settings) -> LocalPostgres:
    server = LocalPostgres(data_dir=settings.postgres_data_dir, port=settings.postgres_port, user=settings.postgres_user,
                           bin_dir=settings.postgres_bin)
    server.start_timeout = settings.postgres_start_timeout
    return server


def servers_database(settings) -> LocalPostgres | None:
    """The cluster the local Label Studio and Prefect keep their data in (CLAIMFLOW_SERVERS_DATABASE=postgres),
    or None for their SQLite files."""
    return local_postgres(settings) if settings.servers_database == "postgres" else None
