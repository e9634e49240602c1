"""A server claimflow runs on this machine and leaves running for the next command: the local
Label Studio (annotation/server.py) and the local Prefect server (flows/prefect_local.py).

Each runs in a process group of its own, bound to one loopback port, with its pid file and log
in its data folder. A pid file naming a process that is gone, or that is not this kind of server
(a pid reused since), is stale: the server counts as not running and the file is replaced by the
next start. A subclass says only what differs: the command line, its environment, its health
URL, how to recognise its process, and the messages naming it.

Nothing here imports prefect or Label Studio's SDK.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from annotation.errors import ServerStartError


@dataclass(frozen=True)
class ServerStatus:
    running: bool  # alive and answering its health check
    url: str
    pid: int | None
    log_file: Path


class LocalServerBase:
    """The lifecycle: start (or reuse), wait for health, status, stop."""

    start_timeout = 120.0  # seconds for a start to answer its health check
    poll_interval = 0.25  # seconds between health checks while starting
    # Messages, formatted with ``server`` (this object), ``pid`` and ``timeout``.
    still_starting = "the server (pid {pid}) does not answer {server.health_url}; see {server.log_file}"
    not_installed = "no server at {server.executable}"
    port_taken = "port {server.port} on {server.host} is in use by another program"
    never_healthy = "the server did not answer at {server.url} within {timeout:.0f} s; see {server.log_file}"

    def __init__(self, *, data_dir: Path, port: int, host: str = "127.0.0.1"):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host

    # what a subclass says ---------------------------------------------------------------------
    @property
    def executable(self) -> Path:
        raise NotImplementedError

    @property
    def health_url(self) -> str:
        raise NotImplementedError

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        """The server process's environment (the data folder exists when this is called)."""
        raise NotImplementedError

    def popen_options(self) -> dict:
        """More keyword arguments for :class:`subprocess.Popen` (a umask, a working folder)."""
        return {}

    def runs_here(self, cmdline: bytes) -> bool:
        """Whether a process with this command line (NUL-separated, as /proc gives it) is this server."""
        raise NotImplementedError

    def prepare_data_dir(self) -> None:
        """Make the data folder the owner's alone (0700), creating it if need be."""
        self.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.data_dir, 0o700)

    # the lifecycle ------------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "server.pid"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "server.log"

    def message(self, template: str, **values) -> str:
        return template.format(server=self, **values)

    def pid(self) -> int | None:
        """The pid in the pid file if that process runs and is this server; else None."""
        try:
            pid = int(self.pid_file.read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if process_alive(pid) and self._is_this_server(pid) else None

    def _is_this_server(self, pid: int) -> bool:
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return True  # no /proc: trust the pid file
        return self.runs_here(cmdline)

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(self.health_url, timeout=3.0) as answer:
                return answer.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def status(self) -> ServerStatus:
        pid = self.pid()
        return ServerStatus(pid is not None and self.healthy(), self.url, pid, self.log_file)

    def port_free(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                return False
        return True

    def start(self, *, timeout: float | None = None) -> tuple[ServerStatus, bool]:
        """Start the server, or reuse the one already running; return (status, started_now).

        Waits for the health check (``start_timeout`` seconds by default). A server alive but
        not answering yet is still starting and is waited for, not started twice."""
        timeout = self.start_timeout if timeout is None else timeout
        current = self.status()
        if current.running:
            return current, False
        if current.pid is not None:  # alive but not answering yet: still starting
            if self.wait_healthy(current.pid, timeout):
                return self.status(), False
            raise ServerStartError(self.message(self.still_starting, pid=current.pid))
        if not self.executable.exists():
            raise ServerStartError(self.message(self.not_installed))
        if not self.port_free():
            raise ServerStartError(self.message(self.port_taken))
        self.prepare_data_dir()
        env = self.environment()
        log_fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(log_fd, "ab") as log:
            proc = subprocess.Popen(
                self.command(), env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # it outlives the command that started it, as intended
                **self.popen_options(),
            )
        self.pid_file.write_text(str(proc.pid))
        if not self.wait_healthy(proc.pid, timeout):
            self.stop()
            raise ServerStartError(self.message(self.never_healthy, timeout=timeout))
        return self.status(), True

    def wait_healthy(self, pid: int, timeout: float) -> bool:
        """Whether the server answers its health check within ``timeout`` (False as soon as ``pid`` is gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy():
                return True
            if not process_alive(pid):
                return False
            time.sleep(self.poll_interval)
        return False

    def stop(self, *, timeout: float = 20.0) -> bool:
        """Stop the server if it runs (SIGTERM to its process group, SIGKILL after ``timeout``);
        return whether it was running."""
        pid = self.pid()
        if pid is None:
            self.pid_file.unlink(missing_ok=True)
            return False
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(pid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and self.pid() is not None:
                time.sleep(0.2)
            if self.pid() is None:
                break
        self.pid_file.unlink(missing_ok=True)
        return True


def process_alive(pid: int) -> bool:
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
