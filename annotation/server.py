"""The embedded default: a local Label Studio server run from its own venv.

It binds to 127.0.0.1 only and keeps its database and media in ``data_dir`` (or its database on a
PostgreSQL server, ``database_server``: the local one of flows/postgres_local.py). On the first start
it generates an admin password and an API token and keeps them in ``data_dir/credentials.json``.
Label Studio keeps the same token in plain text in its own database
(``data_dir/label_studio.sqlite3``), so the whole folder is the owner's alone: made 0700 (an
existing one too) and the server runs with umask 077, so that what it writes there is 0600.
The password and token are never printed or logged by claimflow.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from annotation.local_server import LocalServerBase, ServerStatus

ADMIN_EMAIL = "admin@claimflow.local"
# Label Studio refuses webhooks (and URL imports) to reserved networks. The local server lets
# loopback through, so that it can call claimflow's webhook receiver on 127.0.0.1;
# every other range Label Studio blocks by default stays blocked.
BANNED_SUBNETS = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
    "233.252.0.0/24", "240.0.0.0/4", "255.255.255.255/32", "::/128", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96",
    "64:ff9b:1::/48", "100::/64", "2001:0000::/32", "2001:20::/28", "2001:db8::/32", "2002::/16", "fc00::/7",
    "fe80::/10", "ff00::/8",
)
# Variables Label Studio reads that must not leak in from the caller's environment (its database's
# too: claimflow sets them when the server runs on PostgreSQL).
_SCRUB = ("USERNAME", "PASSWORD", "HOST", "PORT", "LABEL_STUDIO_HOST", "LABEL_STUDIO_PORT", "DJANGO_DB", "DATABASE_NAME")
_SCRUB_PREFIXES = ("POSTGRE_", "LABEL_STUDIO_POSTGRE_", "HEARTEX_POSTGRE_", "LABEL_STUDIO_DJANGO_DB", "LABEL_STUDIO_DATABASE_NAME")
DATABASE_NAME = "labelstudio"  # its database on a PostgreSQL server


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str
    token: str

    def __repr__(self) -> str:  # never show the secrets
        return f"Credentials(email={self.email!r}, password=***, token=***)"


class LocalServer(LocalServerBase):
    """``label-studio start`` from its own venv, with its database, media and login in ``data_dir``."""

    start_timeout = 240.0  # the first start migrates the database (30 to 60 s)
    poll_interval = 1.0
    still_starting = "Label Studio (pid {pid}) does not answer {server.url}/health; see {server.log_file}"
    not_installed = "no Label Studio server at {server.executable}; run `make setup` (or set CLAIMFLOW_LS_VENV)"
    port_taken = "port {server.port} on {server.host} is taken by another process (not started by claimflow); set CLAIMFLOW_LS_PORT to a free port"
    port_setting = "CLAIMFLOW_LS_PORT"
    starting = "starting the local Label Studio at {server.url} (up to a minute)"
    first_starting = "starting the local Label Studio at {server.url} (the first start sets up its database: about a minute)"
    never_healthy = "Label Studio did not become healthy at {server.url} within {timeout:.0f} s; see {server.log_file}"

    def __init__(self, *, data_dir: Path, venv: Path, port: int, host: str = "127.0.0.1", database_server=None):
        super().__init__(data_dir=data_dir, port=port, host=host, database_server=database_server)
        self.venv = Path(venv)

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"

    @property
    def health_url(self) -> str:
        return f"{self.url}/health"

    @property
    def database_file(self) -> Path:
        """Label Studio's own database: it holds the API token in plain text."""
        return self.data_dir / "label_studio.sqlite3"

    @property
    def database(self) -> Path:
        """What its first start creates: the SQLite file, or (on PostgreSQL) the log of its first start."""
        return self.database_file if self.database_server is None else self.log_file

    def prepare_data_dir(self) -> None:
        """Create the data folder as the owner's alone (0700), or make an existing one so, with
        the files Label Studio keeps the token in (0600)."""
        super().prepare_data_dir()
        for path in (self.database_file, self.credentials_file):
            if path.exists():
                os.chmod(path, 0o600)

    # credentials ------------------------------------------------------------------------------
    def credentials(self) -> Credentials:
        """The admin login and API token, generated on first use and kept owner-readable only."""
        if self.credentials_file.exists():
            data = json.loads(self.credentials_file.read_text())
            return Credentials(data["email"], data["password"], data["token"])
        self.prepare_data_dir()
        creds = Credentials(ADMIN_EMAIL, secrets.token_urlsafe(18), secrets.token_hex(20))
        fd = os.open(self.credentials_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"email": creds.email, "password": creds.password, "token": creds.token, "url": self.url}, fh, indent=2)
        return creds

    # the process ------------------------------------------------------------------------------
    def start(self, *, timeout: float | None = None, announce=None) -> tuple[ServerStatus, bool]:
        """Start the server, or reuse the one already running; return (status, started_now).

        The data folder is made the owner's alone first, a running server's too (one started
        before claimflow did so)."""
        self.prepare_data_dir()
        return super().start(timeout=timeout, announce=announce)

    def command(self) -> list[str]:
        return [str(self.executable), "start", "--no-browser", "--internal-host", self.host, "--port", str(self.port)]

    def environment(self) -> dict[str, str]:
        creds = self.credentials()
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith(_SCRUB_PREFIXES)}
        if self.database_server is not None:
            login = self.database_server.login(DATABASE_NAME)
            env.update(DJANGO_DB="postgresql", POSTGRE_NAME=login.name, POSTGRE_USER=login.user,
                       POSTGRE_PASSWORD=login.password, POSTGRE_HOST=login.host, POSTGRE_PORT=str(login.port))
        env.update(
            LABEL_STUDIO_BASE_DATA_DIR=str(self.data_dir),
            LABEL_STUDIO_USERNAME=creds.email,
            LABEL_STUDIO_PASSWORD=creds.password,
            LABEL_STUDIO_USER_TOKEN=creds.token,
            LABEL_STUDIO_ENABLE_LEGACY_API_TOKEN="true",
            LATEST_VERSION_CHECK="false",
            LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK="true",
            COLLECT_ANALYTICS="false",
            SENTRY_DSN="",
            FRONTEND_SENTRY_DSN="",
            USE_DEFAULT_BANNED_SUBNETS="false",
            USER_ADDITIONAL_BANNED_SUBNETS=",".join(BANNED_SUBNETS),
        )
        return env

    def popen_options(self) -> dict:
        return {"umask": 0o077}  # the database, media and exports it writes are the owner's alone

    def runs_here(self, cmdline: bytes) -> bool:
        return b"label-studio" in cmdline
