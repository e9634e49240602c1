"""The embedded default: a local Label Studio server run from its own venv.

It binds to 127.0.0.1 only and keeps its database and media in ``data_dir``. On the first start
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
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from annotation.errors import ServerStartError

ADMIN_EMAIL = "admin@claimflow.local"
# Label Studio refuses webhooks (and URL imports) to reserved networks. The local server lets
# loopback through, so that it can call claimflow's webhook receiver on 127.0.0.1 (issue 13);
# every other range Label Studio blocks by default stays blocked.
BANNED_SUBNETS = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24",
    "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4",
    "233.252.0.0/24", "240.0.0.0/4", "255.255.255.255/32", "::/128", "::ffff:0:0/96", "::ffff:0:0:0/96", "64:ff9b::/96",
    "64:ff9b:1::/48", "100::/64", "2001:0000::/32", "2001:20::/28", "2001:db8::/32", "2002::/16", "fc00::/7",
    "fe80::/10", "ff00::/8",
)
# Variables Label Studio reads that must not leak in from the caller's environment.
_SCRUB = ("USERNAME", "PASSWORD", "HOST", "PORT", "LABEL_STUDIO_HOST", "LABEL_STUDIO_PORT")


@dataclass(frozen=True)
class Credentials:
    email: str
    password: str
    token: str

    def __repr__(self) -> str:  # never show the secrets
        return f"Credentials(email={self.email!r}, password=***, token=***)"


@dataclass(frozen=True)
class ServerStatus:
    running: bool
    url: str
    pid: int | None
    credentials_file: Path
    log_file: Path


class LocalServer:
    def __init__(self, *, data_dir: Path, venv: Path, port: int, host: str = "127.0.0.1"):
        self.data_dir = Path(data_dir).resolve()
        self.venv = Path(venv)
        self.port = port
        self.host = host

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def credentials_file(self) -> Path:
        return self.data_dir / "credentials.json"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def executable(self) -> Path:
        return self.venv / "bin" / "label-studio"

    @property
    def database_file(self) -> Path:
        """Label Studio's own database: it holds the API token in plain text."""
        return self.data_dir / "label_studio.sqlite3"

    def secure_data_dir(self) -> None:
        """Create the data folder as the owner's alone (0700), or make an existing one so, with
        the files Label Studio keeps the token in (0600)."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.data_dir, 0o700)
        for path in (self.database_file, self.credentials_file):
            if path.exists():
                os.chmod(path, 0o600)

    # credentials ------------------------------------------------------------------------------
    def credentials(self) -> Credentials:
        """The admin login and API token, generated on first use and kept owner-readable only."""
        if self.credentials_file.exists():
            data = json.loads(self.credentials_file.read_text())
            return Credentials(data["email"], data["password"], data["token"])
        self.secure_data_dir()
        creds = Credentials(ADMIN_EMAIL, secrets.token_urlsafe(18), secrets.token_hex(20))
        fd = os.open(self.credentials_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"email": creds.email, "password": creds.password, "token": creds.token, "url": self.url}, fh, indent=2)
        return creds

    # lifecycle --------------------------------------------------------------------------------
    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) and _is_label_studio(pid) else None

    def healthy(self) -> bool:
        try:
            return httpx.get(f"{self.url}/health", timeout=3.0).status_code == 200
        except httpx.HTTPError:
            return False

    def status(self) -> ServerStatus:
        pid = self._pid()
        return ServerStatus(pid is not None and self.healthy(), self.url, pid, self.credentials_file, self.log_file)

    def _port_free(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                return False
        return True

    def start(self, *, timeout: float = 240.0) -> tuple[ServerStatus, bool]:
        """Start the server, or reuse the one already running; return (status, started_now).

        Waits for /health. The first start migrates the database (30 to 60 s). The data folder
        is made the owner's alone, a running server's too (one started before claimflow did so).
        """
        self.secure_data_dir()
        current = self.status()
        if current.running:
            return current, False
        if current.pid is not None:  # alive but not answering: still starting
            if self._wait_healthy(current.pid, timeout):
                return self.status(), False
            raise ServerStartError(f"Label Studio (pid {current.pid}) does not answer {self.url}/health; see {self.log_file}")
        if not self.executable.exists():
            raise ServerStartError(
                f"no Label Studio server at {self.executable}; run `make setup` (or set CLAIMFLOW_LS_VENV)"
            )
        if not self._port_free():
            raise ServerStartError(
                f"port {self.port} on {self.host} is in use by another program; set CLAIMFLOW_LS_PORT to a free port"
            )
        creds = self.credentials()
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
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
        self.secure_data_dir()
        log_fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(log_fd, "ab") as log:
            proc = subprocess.Popen(
                [str(self.executable), "start", "--no-browser", "--internal-host", self.host, "--port", str(self.port),
                 ],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                umask=0o077,  # the database, media and exports it writes are the owner's alone
            )
        self.pid_file.write_text(str(proc.pid))
        if not self._wait_healthy(proc.pid, timeout):
            self.stop()
            raise ServerStartError(f"Label Studio did not become healthy at {self.url} within {timeout:.0f} s; see {self.log_file}")
        return self.status(), True

    def _wait_healthy(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return True
            if not _alive(pid):
                return False
            time.sleep(1.0)
        return False

    def stop(self, *, timeout: float = 20.0) -> bool:
        """Stop the server if it runs; return whether it was running."""
        pid = self._pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._pid() is not None:
            time.sleep(0.3)
        if self._pid() is not None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.pid_file.unlink(missing_ok=True)
        return True


def _is_label_studio(pid: int) -> bool:
    """Whether ``pid`` runs Label Studio (a stale pid file may name a reused pid)."""
    try:
        return b"label-studio" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc: trust the pid file


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie child of ours is reaped and counts as gone)."""
    try:
        if os.waitpid(pid, os.WNOHANG)[0] == pid:
            return False
    except ChildProcessError:
        pass  # not our child
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
