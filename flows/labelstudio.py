"""Reaching Label Studio from the flows: the server to use, and retries for calls that touch it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from annotation.client import LabelStudioClient, check_reachable
from annotation.errors import LabelStudioUnavailable
from annotation.server import LocalServer
from flows.settings import Settings


@dataclass(frozen=True)
class Target:
    """Where Label Studio is. The token is a SecretStr, so it never shows in a repr or a log."""

    url: str
    token: SecretStr
    local: bool
    credentials_file: Path | None = None
    login_email: str | None = None

    def client(self) -> LabelStudioClient:
        return LabelStudioClient(self.url, self.token.get_secret_value())


def check_target(target: Target, settings: Settings) -> Target:
    """``target``, once one quick call showed it answers and takes the token; otherwise the
    error, with what to do about it. A server nobody serves fails here at once, before any flow."""
    try:
        if not target.local:  # the local server answered its health check as it was found running or started
            check_reachable(target.url)
        with target.client() as client:
            client.check_auth(quick=True)
    except LabelStudioUnavailable as err:
        if target.local:
            fix = f"see {local_server(settings).log_file}, or restart it: `claimflow labelstudio stop`, then `claimflow labelstudio start`"
        else:
            fix = "check LABEL_STUDIO_URL and that the server runs (unset LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY for the local one)"
        raise LabelStudioUnavailable(f"{err}; {fix}") from err
    return target


def local_server(settings: Settings) -> LocalServer:
    from flows.postgres_local import servers_database

    return LocalServer(data_dir=settings.ls_data_dir, venv=settings.ls_venv, port=settings.ls_port,
                       database_server=servers_database(settings))


def resolve_target(settings: Settings, *, start: bool = True, announce=None) -> Target:
    """The external server when LABEL_STUDIO_URL and LABEL_STUDIO_API_KEY are set, else the local
    one (started, or reused if it runs, when ``start``; ``announce`` is told of a start)."""
    if not settings.uses_local_label_studio:
        return Target(settings.ls_url.rstrip("/"), settings.ls_api_key, local=False)
    server = local_server(settings)
    if start:
        server.start(timeout=settings.ls_start_timeout, announce=announce)
    elif not server.status().running:
        raise LabelStudioUnavailable(
            f"the local Label Studio at {server.url} is not running; start it with `claimflow labelstudio start`"
        )
    creds = server.credentials()
    return Target(server.url, SecretStr(creds.token), local=True, credentials_file=server.credentials_file, login_email=creds.email)


def retry_if_unavailable(task, task_run, state) -> bool:
    """Prefect retry condition: retry only when Label Studio was unreachable or answered 5xx."""
    try:
        state.result()
    except LabelStudioUnavailable:
        return True
    except BaseException:
        return False
    return False


def with_retries(task, settings: Settings):
    """``task`` with the configured retries and exponential delays, for Label Studio calls only."""
    delays = [settings.ls_retry_delay * 2**i for i in range(settings.ls_retries)] or 0
    return task.with_options(retries=settings.ls_retries, retry_delay_seconds=delays, retry_condition_fn=retry_if_unavailable)
