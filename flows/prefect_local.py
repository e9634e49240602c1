"""The embedded default for Prefect: a local Prefect server that outlives the command, like the
local Label Studio.

``prefect server start`` on 127.0.0.1, with its SQLite database and log in the data folder
(``CLAIMFLOW_PREFECT_DATA_DIR``). Every command that runs a flow uses it, starting it on first use,
so a warm command pays an HTTP health check instead of a server start. ``PREFECT_API_URL`` wins
when it is set (in the environment or in the active Prefect profile).

Nothing here imports prefect: the API URL has to be in the environment before prefect is
imported, since prefect reads its settings at import.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from annotation.errors import ServerStartError
from annotation.server import _alive

HOST = "127.0.0.1"


@dataclass(frozen=True)
class PrefectStatus:
    running: bool
    url: str  # the UI; the API is url + "/api"
    pid: int | None
    log_file: Path


class LocalPrefect:
    """``prefect server start`` from this venv, in a process group of its own."""

    def __init__(self, *, data_dir: Path, port: int, host: str = HOST, executable: Path | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        self.executable = executable or Path(sys.executable).with_name("prefect")

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    @property
    def database(self) -> Path:
        return self.data_dir / "prefect.db"

    def _pid(self) -> int | None:
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) and _is_prefect_server(pid) else None

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.api_url}/health", timeout=3.0) as answer:
                return answer.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def status(self) -> PrefectStatus:
        pid = self._pid()
        return PrefectStatus(pid is not None and self.healthy(), self.url, pid, self.log_file)

    def _port_free(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                return False
        return True

    def start(self, *, timeout: float = 120.0) -> tuple[PrefectStatus, bool]:
        """Start the server, or reuse the one already running; return (status, started_now).

        A pid file naming a process that is gone, or that is not a Prefect server (a reused pid),
        is stale and replaced. The first start migrates the database (10 to 20 s here)."""
        current = self.status()
        if current.running:
            return current, False
        if current.pid is not None:  # alive but not answering yet: still starting
            if self._wait_healthy(current.pid, timeout):
                return self.status(), False
            raise ServerStartError(f"the local Prefect server (pid {current.pid}) does not answer {self.api_url}/health; see {self.log_file}")
        if not self.executable.exists():
            raise ServerStartError(f"no Prefect at {self.executable}; run `make setup`")
        if not self._port_free():
            raise ServerStartError(
                f"port {self.port} on {self.host} is in use by another program; set CLAIMFLOW_PREFECT_PORT to a free port "
                f"(or PREFECT_API_URL={self.api_url} if that is a Prefect server you want to use)"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        os.chmod(self.data_dir, 0o700)
        # The client's settings (PREFECT_API_URL, the profile) stay out; the server's own go in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") or k.startswith(("PREFECT_SERVER_", "PREFECT_LOGGING_"))}
        env.update(
            PREFECT_HOME=str(self.data_dir),
            PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{self.database}",
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_API_HOST=self.host,
            PREFECT_SERVER_API_PORT=str(self.port),
        )
        with open(self.log_file, "ab") as log:
            proc = subprocess.Popen(
                [str(self.executable), "server", "start", "--host", self.host, "--port", str(self.port)],
                env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # it outlives the command that started it, as intended
                cwd=self.data_dir,
            )
        self.pid_file.write_text(str(proc.pid))
        if not self._wait_healthy(proc.pid, timeout):
            self.stop()
            raise ServerStartError(f"the local Prefect server did not answer at {self.api_url} within {timeout:.0f} s; see {self.log_file}")
        return self.status(), True

    def _wait_healthy(self, pid: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return True
            if not _alive(pid):
                return False
            time.sleep(0.25)
        return False

    def stop(self, *, timeout: float = 20.0) -> bool:
        """Stop the server if it runs; return whether it was running."""
        pid = self._pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self._pid() is not None:
                time.sleep(0.2)
            if self._pid() is None:
                break
        self.pid_file.unlink(missing_ok=True)
        return True


def _is_prefect_server(pid: int) -> bool:
    """Whether ``pid`` runs a Prefect server (a stale pid file may name a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return True  # no /proc: trust the pid file
    return any(part.endswith(b"prefect") for part in cmdline) and b"server" in cmdline


def local_prefect(settings) -> LocalPrefect:
    return LocalPrefect(data_dir=settings.prefect_data_dir, port=settings.prefect_port)


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile, read without importing
    prefect (which would fix its settings before claimflow could set the URL)."""
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    home = Path(os.environ.get("PREFECT_HOME") or Path.home() / ".prefect").expanduser()
    profiles = Path(os.environ.get("PREFECT_PROFILES_PATH") or home / "profiles.toml")
    try:
        data = tomllib.loads(profiles.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError):
        return None
    active = os.environ.get("PREFECT_PROFILE") or data.get("active")
    return (data.get("profiles", {}).get(active) or {}).get("PREFECT_API_URL") or None


def use_prefect(settings) -> str:
    """The Prefect API this process uses, made the process's PREFECT_API_URL: the one configured,
    else the local server, started now if it does not run. Returns the API URL.

    In a process that has imported prefect already (the tests' own server, a program calling
    the CLI), prefect's current settings decide, and a local URL is applied to them as well."""
    if "prefect.context" in sys.modules:
        from prefect.settings import get_current_settings

        current = get_current_settings().api.url
        if current:
            return current
    elif configured := configured_api_url():
        return configured
    status, _ = local_prefect(settings).start(timeout=settings.prefect_start_timeout)
    api = f"{status.url}/api"
    os.environ["PREFECT_API_URL"] = api
    if "prefect.context" in sys.modules:
        _apply_to_imported_prefect(api)
    return api


def _apply_to_imported_prefect(api: str) -> None:
    """Point an already imported prefect at ``api`` for the rest of the process (every thread)."""
    import prefect.context
    from prefect.settings import PREFECT_API_URL

    settings = prefect.context.GLOBAL_SETTINGS_CONTEXT.settings.copy_with_update(updates={PREFECT_API_URL: api})
    prefect.context.GLOBAL_SETTINGS_CONTEXT = prefect.context.SettingsContext(
        profile=prefect.context.GLOBAL_SETTINGS_CONTEXT.profile, settings=settings
    )


def ui_url() -> str | None:
    """The UI of the Prefect server this process uses (None for a temporary one)."""
    from prefect.settings import get_current_settings

    current = get_current_settings()
    return current.ui_url or (current.api.url.rstrip("/").removesuffix("/api") if current.api.url else None)
