"""A server claimflow runs on this machine and leaves running for the next command: the local
Label Studio (annotation/server.py), the local Prefect server (flows/prefect_local.py) and the
local PostgreSQL (flows/postgres_local.py), which the other two can keep their data in (their
``database_server``, started before them).

Each runs in a process group of its own, bound to one loopback port, with its pid file (the pid
and the port) and log in its data folder. A pid file naming a process that is gone, or that is
not this kind of server (a pid reused since), is stale: the server counts as not running and the
file is replaced by the next start. On a machine shared with other servers the port decides: the
server runs only if the recorded process listens on the configured port, and a port taken by a
process claimflow did not start is never used as if it were claimflow's server (on Linux, where
/proc shows who listens; elsewhere the pid file is trusted). A subclass says only what differs:
the command line, its environment, its health URL, how to recognise its process, and the messages
naming it.

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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from annotation.errors import ServerStartError


@dataclass(frozen=True)
class ServerStatus:
    running: bool  # alive, listening on its port and answering its health check
    url: str
    pid: int | None  # the server's process, listening on the port of ``url`` (None if it does not run there)
    log_file: Path
    note: str | None = None  # why it does not run there, when something else is on the port or the server elsewhere


@dataclass(frozen=True)
class DatabaseLogin:
    """Where a server's PostgreSQL database is and how to log in to it."""

    host: str
    port: int
    user: str
    password: str
    name: str

    def __repr__(self) -> str:  # never show the password
        return f"DatabaseLogin(host={self.host!r}, port={self.port}, user={self.user!r}, password=***, name={self.name!r})"

    def conninfo(self, *, with_password: bool = False) -> str:
        """The libpq connection string, without the password unless asked (libpq reads it from
        PGPASSFILE): never print or log it with the password."""
        info = f"dbname={self.name} host={self.host} port={self.port} user={self.user}"
        return f"{info} password={self.password}" if with_password else info


class DatabaseServer(Protocol):
    """A local database server the local Label Studio or Prefect server runs on (flows/postgres_local.py)."""

    def start(self, *, timeout: float | None = None, announce: Callable[[str], None] | None = None) -> tuple["ServerStatus", bool]: ...

    def login(self, name: str) -> DatabaseLogin: ...


class LocalServerBase:
    """The lifecycle: start (or reuse), wait for health, status, stop."""

    start_timeout = 120.0  # seconds for a start to answer its health check
    poll_interval = 0.25  # seconds between health checks while starting
    # Messages, formatted with ``server`` (this object), ``pid`` and ``timeout``.
    still_starting = "the server (pid {pid}) does not answer {server.health_url}; see {server.log_file}"
    not_installed = "no server at {server.executable}"
    port_taken = "port {server.port} on {server.host} is taken by another process (not started by claimflow)"
    port_setting = "the port setting"  # what to set to choose another port
    starting = "starting the server at {server.url}"  # said before a start; ``first``: its database is new
    first_starting = "starting the server at {server.url} (the first start sets up its database)"
    never_healthy = "the server did not answer at {server.url} within {timeout:.0f} s; see {server.log_file}"

    def __init__(self, *, data_dir: Path, port: int, host: str = "127.0.0.1", database_server: DatabaseServer | None = None):
        self.data_dir = Path(data_dir).resolve()
        self.port = port
        self.host = host
        # The database server this one keeps its data in (None: a SQLite file in the data folder),
        # started before this one is.
        self.database_server = database_server

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

    def recorded(self) -> tuple[int | None, int | None]:
        """The pid and port in the pid file (the port None in a file of an older claimflow, which
        wrote the pid alone); (None, None) without a readable file."""
        try:
            words = self.pid_file.read_text().split()
            return int(words[0]), int(words[1]) if len(words) > 1 else None
        except (OSError, ValueError, IndexError):
            return None, None

    def pid(self) -> int | None:
        """The pid in the pid file if that process runs and is this server (on whichever port); else None."""
        pid, _ = self.recorded()
        if pid is None:
            return None
        return pid if process_alive(pid) and self._is_this_server(pid) else None

    def serving_port(self) -> int | None:
        """The port the server of this data folder listens on: this one's if it listens there, else
        the recorded one, else any; None when it does not run or listens nowhere yet (starting)."""
        pid = self.pid()
        if pid is None:
            return None
        recorded = self.recorded()[1]
        ports = listening_ports(pid)
        if ports is None:  # no /proc: trust the pid file
            return recorded or self.port
        if self.port in ports or not ports:
            return self.port if ports else None
        return recorded if recorded in ports else min(ports)

    def elsewhere(self) -> str | None:
        """A note when the server of this data folder runs, but on another port than this one's."""
        port = self.serving_port()
        if port is None or port == self.port:
            return None
        return (f"the server of {self.data_dir} runs on port {port} (pid {self.pid()}), not on {self.port}: "
                f"set {self.port_setting}={port}, or stop it first")

    def taken_note(self) -> str:
        return (f"port {self.port} is taken by another process (not started by claimflow); "
                f"set {self.port_setting} to a free port")

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
        """Running when the recorded process is this server, listens on this port and answers its
        health check; whatever else is on the port is not this server, however it answers."""
        pid, port = self.pid(), self.serving_port()
        if pid is not None and port == self.port:
            return ServerStatus(self.healthy(), self.url, pid, self.log_file)
        if pid is not None and port is None and self.recorded()[1] in (None, self.port):  # listening nowhere yet
            return ServerStatus(False, self.url, pid, self.log_file, "starting")
        notes = [None if self.port_free() else self.taken_note(), self.elsewhere()]
        return ServerStatus(False, self.url, None, self.log_file, "; ".join(n for n in notes if n) or None)

    def port_free(self) -> bool:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((self.host, self.port))
            except OSError:
                return False
        return True

    @property
    def database(self) -> Path:
        """The server's own database, created by its first start."""
        raise NotImplementedError

    def start(self, *, timeout: float | None = None, announce: Callable[[str], None] | None = None) -> tuple[ServerStatus, bool]:
        """Start the server, or reuse the one already running; return (status, started_now).

        Waits for the health check (``start_timeout`` seconds by default). A server alive but
        not answering yet is still starting and is waited for, not started twice. ``announce`` is
        given one line saying what is being started (how long a first start takes) before a
        start: a person waiting for the command hears why."""
        timeout = self.start_timeout if timeout is None else timeout
        current = self.status()
        if current.running:
            return current, False
        if current.pid is not None:  # this server on this port, not answering yet: still starting
            if self.wait_healthy(current.pid, timeout):
                return self.status(), False
            raise ServerStartError(self.message(self.still_starting, pid=current.pid))
        if elsewhere := self.elsewhere():  # a second server on the same data would corrupt it
            raise ServerStartError(elsewhere)
        if not self.executable.exists():
            raise ServerStartError(self.message(self.not_installed))
        if not self.port_free():
            raise ServerStartError(self.message(self.port_taken))
        if self.database_server is not None:
            self.database_server.start(announce=announce)
        if announce is not None:
            announce(self.message(self.starting if self.database.exists() else self.first_starting))
        self.prepare_data_dir()
        env = self.environment()
        log_fd = os.open(self.log_file, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(log_fd, "ab") as log:
            proc = subprocess.Popen(
                self.command(), env=env, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,  # it outlives the command that started it, as intended
                **self.popen_options(),
            )
        self.pid_file.write_text(f"{proc.pid} {self.port}\n")
        if not self.wait_healthy(proc.pid, timeout):
            self.stop()
            raise ServerStartError(self.message(self.never_healthy, timeout=timeout))
        return self.status(), True

    def wait_healthy(self, pid: int, timeout: float) -> bool:
        """Whether the server answers its health check, listening on its port, within ``timeout``
        (False as soon as ``pid`` is gone)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.healthy() and listens(pid, self.port):
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


def listens(pid: int, port: int) -> bool:
    """Whether the process ``pid``, or a process of its group, listens on TCP ``port``; True where
    /proc cannot tell (the pid file is trusted there)."""
    ports = listening_ports(pid)
    return ports is None or port in ports


def listening_ports(pid: int) -> set[int] | None:
    """The TCP ports the process ``pid`` and the processes of its group listen on, read from /proc
    on Linux (the listening sockets against the processes' open files); None without /proc."""
    sockets = _listening_sockets()
    if sockets is None:
        return None
    ports = set()
    for member in _group(pid):
        try:
            fds = list(Path(f"/proc/{member}/fd").iterdir())
        except OSError:
            continue
        for fd in fds:
            try:
                link = os.readlink(fd)
            except OSError:
                continue
            if link.startswith("socket:[") and link[8:-1] in sockets:
                ports.add(sockets[link[8:-1]])
    return ports


def _listening_sockets() -> dict[str, int] | None:
    """The inodes of the listening TCP sockets (IPv4 and IPv6) with their ports; None without /proc."""
    found, read = {}, False
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        read = True
        for line in lines:
            fields = line.split()
            # local address "ADDR:PORT" in hex, state 0A is LISTEN, inode in column 10
            if len(fields) > 9 and fields[3] == "0A":
                found[fields[9]] = int(fields[1].rsplit(":", 1)[1], 16)
    return found if read else None


def _group(pid: int) -> list[int]:
    """``pid`` and the processes of its process group (a server started by claimflow leads its own)."""
    members = [pid]
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == pid:
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[-1].split()  # after "pid (comm)": state, ppid, pgrp, ...
        if len(fields) > 2 and fields[2] == str(pid):
            members.append(int(entry.name))
    return members
