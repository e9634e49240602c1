"""The embedded default for Prefect: a local Prefect server that outlives the command, like the
local Label Studio.

``prefect server start`` on 127.0.0.1, with its SQLite database and log in the data folder
(``CLAIMFLOW_PREFECT_DATA_DIR``), or its database on the local PostgreSQL
(``CLAIMFLOW_SERVERS_DATABASE=postgres``). Every command that runs a flow uses it, starting it on first use,
so a warm command pays an HTTP health check instead of a server start. ``PREFECT_API_URL`` wins
when it is set (in the environment or in the active Prefect profile).

Nothing here imports prefect: the API URL has to be in the environment before prefect is
imported, since prefect reads its settings at import.
"""

from __future__ import annotations

import functools
import os
import sys
import tomllib
from pathlib import Path

from annotation.local_server import LocalServerBase

HOST = "127.0.0.1"
DATABASE_NAME = "prefect"  # its database on a PostgreSQL server


class LocalPrefect(LocalServerBase):
    """``prefect server start`` from this venv, with its SQLite database and log in ``data_dir``.

    The first start migrates the database (10 to 20 s here)."""

    start_timeout = 120.0
    poll_interval = 0.25
    still_starting = "the local Prefect server (pid {pid}) does not answer {server.api_url}/health; see {server.log_file}"
    not_installed = "no Prefect at {server.executable}; run `make setup`"
    port_taken = (
        "port {server.port} on {server.host} is taken by another process (not started by claimflow); set CLAIMFLOW_PREFECT_PORT "
        "to a free port (or PREFECT_API_URL={server.api_url} if that is a Prefect server you want to use)"
    )
    port_setting = "CLAIMFLOW_PREFECT_PORT"
    starting = "starting the local Prefect server at {server.url} (a few seconds)"
    first_starting = "starting the local Prefect server at {server.url} (the first start sets up its database: up to a minute)"
    never_healthy = "the local Prefect server did not answer at {server.api_url} within {timeout:.0f} s; see {server.log_file}"

    def __init__(self, *, data_dir: Path, port: int, host: str = HOST, executable: Path | None = None, database_server=None):
        super().__init__(data_dir=data_dir, port=port, host=host, database_server=database_server)
        self._executable = executable or Path(sys.executable).with_name("prefect")

    @property
    def executable(self) -> Path:
        return self._executable

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    @property
    def health_url(self) -> str:
        return f"{self.api_url}/health"

    @property
    def database(self) -> Path:
        """What its first start creates: the SQLite file, or (on PostgreSQL) the log of its first start."""
        return self.data_dir / "prefect.db" if self.database_server is None else self.log_file

    def command(self) -> list[str]:
        return [str(self.executable), "server", "start", "--host", self.host, "--port", str(self.port)]

    def environment(self) -> dict[str, str]:
        # The client's settings (PREFECT_API_URL, the profile) stay out; the server's own go in.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_") or k.startswith(("PREFECT_SERVER_", "PREFECT_LOGGING_"))}
        env = {k: v for k, v in env.items() if not k.startswith(("PREFECT_SERVER_DATABASE_", "PREFECT_API_DATABASE_"))}
        if self.database_server is None:
            env.update(PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{self.database}")
        else:  # Prefect builds the URL from the parts: no URL with the password in it
            login = self.database_server.login(DATABASE_NAME)
            env.update(
                PREFECT_SERVER_DATABASE_DRIVER="postgresql+asyncpg", PREFECT_SERVER_DATABASE_HOST=login.host,
                PREFECT_SERVER_DATABASE_PORT=str(login.port), PREFECT_SERVER_DATABASE_USER=login.user,
                PREFECT_SERVER_DATABASE_PASSWORD=login.password, PREFECT_SERVER_DATABASE_NAME=login.name,
            )
        env.update(
            PREFECT_HOME=str(self.data_dir),
            PREFECT_SERVER_ANALYTICS_ENABLED="false",
            PREFECT_SERVER_API_HOST=self.host,
            PREFECT_SERVER_API_PORT=str(self.port),
        )
        return env

    def popen_options(self) -> dict:
        return {"cwd": self.data_dir}

    def runs_here(self, cmdline: bytes) -> bool:
        parts = cmdline.split(b"\0")
        return any(part.endswith(b"prefect") for part in parts) and b"server" in parts


def local_prefect(settings) -> LocalPrefect:
    from flows.postgres_local import servers_database

    return LocalPrefect(data_dir=settings.prefect_data_dir, port=settings.prefect_port, database_server=servers_database(settings))


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


def use_prefect(settings, announce=None) -> str:
    """The Prefect API this process uses, made the process's PREFECT_API_URL: the one configured,
    else the local server, started now if it does not run (``announce`` told so first, see
    :meth:`LocalPrefect.start`). Returns the API URL.

    In a process that has imported prefect already (the tests' own server, a program calling
    the CLI), prefect's current settings decide, and a local URL is applied to them as well."""
    if "prefect.context" in sys.modules:
        from prefect.settings import get_current_settings

        current = get_current_settings().api.url
        if current:
            return current
    elif configured := configured_api_url():
        return configured
    status, _ = local_prefect(settings).start(timeout=settings.prefect_start_timeout, announce=announce)
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


def without_heartbeats() -> None:
    """Flow runs started by this process send no heartbeats, unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY
    is set. claimflow does not use them (Prefect's automations can detect crashed runs by them;
    `claimflow serve` finds a crashed run by its process), and at its end every flow run waits for
    its heartbeat thread, which sleeps in one-second steps: up to a second of each command. The
    environment cannot say "none", so the process's settings are changed (prefect imported): a
    copy with that one value changed, since validating them anew reads every settings source again."""
    if os.environ.get("PREFECT_FLOWS_HEARTBEAT_FREQUENCY"):
        return
    import prefect.context

    current = prefect.context.GLOBAL_SETTINGS_CONTEXT
    if current.settings.flows.heartbeat_frequency is None:
        return
    flows = current.settings.flows.model_copy(update={"heartbeat_frequency": None})
    settings = current.settings.model_copy(update={"flows": flows})
    prefect.context.GLOBAL_SETTINGS_CONTEXT = prefect.context.SettingsContext(profile=current.profile, settings=settings)


# Values that are JSON as they are: FastAPI's jsonable_encoder returns them unchanged.
_JSON_SCALARS = (str, int, float, bool, type(None))


def plain_parameters() -> None:
    """Flow runs started by this process record parameters that are JSON already (None, booleans,
    numbers, strings: all that claimflow's commands pass) as they are, as Prefect would after
    passing each through FastAPI's ``jsonable_encoder``, which returns such a value unchanged.
    That encoder imports FastAPI, 0.1 to 0.2 s of every command that runs a flow (bench/README.md,
    the cost of a warm command). Any other value, and a flow that is a method, still goes through
    Prefect's own serialisation (prefect imported)."""
    from prefect.flows import Flow

    original = Flow.serialize_parameters
    if getattr(original, "plain_first", False):
        return

    @functools.wraps(original)
    def serialize_parameters(self, parameters):
        if self.ismethod or self.isclassmethod or any(type(v) not in _JSON_SCALARS for v in parameters.values()):
            return original(self, parameters)
        return dict(parameters)

    serialize_parameters.plain_first = True
    Flow.serialize_parameters = serialize_parameters


def ui_url() -> str | None:
    """The UI of the Prefect server this process uses (None for a temporary one)."""
    from prefect.settings import get_current_settings

    current = get_current_settings()
    return current.ui_url or (current.api.url.rstrip("/").removesuffix("/api") if current.api.url else None)
