"""Which Prefect server commands use: PREFECT_API_URL (environment or active profile) wins over
the local server; a stale pid file does not pass for a running server."""

import os

import pytest

from flows.prefect_local import LocalPrefect, configured_api_url
from tests.conftest import free_port


def test_prefect_api_url_in_the_environment_wins(monkeypatch):
    monkeypatch.setenv("PREFECT_API_URL", "http://prefect.example/api")
    assert configured_api_url() == "http://prefect.example/api"


def test_prefect_api_url_in_the_active_profile_wins(monkeypatch, tmp_path):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path))
    (tmp_path / "profiles.toml").write_text(
        'active = "team"\n\n[profiles.local]\n\n[profiles.team]\nPREFECT_API_URL = "http://team.example/api"\n'
    )
    assert configured_api_url() == "http://team.example/api"
    monkeypatch.setenv("PREFECT_PROFILE", "local")
    assert configured_api_url() is None  # then claimflow uses its local server


def test_without_any_url_the_local_server_is_used(monkeypatch, tmp_path):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "empty"))
    assert configured_api_url() is None


def test_a_pid_file_naming_another_program_is_stale(tmp_path):
    server = LocalPrefect(data_dir=tmp_path, port=free_port())
    tmp_path.mkdir(exist_ok=True)
    server.pid_file.write_text(str(os.getpid()))  # this test process: alive, but not a Prefect server
    status = server.status()
    assert not status.running and status.pid is None
    assert server.stop() is False and not server.pid_file.exists()


@pytest.mark.parametrize(("setting", "expected"), [(None, "None"), ("60", "60")])
def test_a_commands_flow_runs_send_no_heartbeats_unless_the_setting_asks(setting, expected):
    """Each flow run waits for its heartbeat thread at its end (up to a second); a command's flow
    runs go without, unless PREFECT_FLOWS_HEARTBEAT_FREQUENCY says otherwise."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PREFECT_FLOWS_HEARTBEAT_FREQUENCY"}
    if setting is not None:
        env["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"] = setting
    probe = ("from flows.prefect_local import without_heartbeats\nwithout_heartbeats()\n"
             "from prefect.settings import get_current_settings\nprint(get_current_settings().flows.heartbeat_frequency)")
    done = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-1:] == [expected], done.stderr[-2000:]


def test_plain_parameters_are_recorded_as_prefect_would_without_importing_fastapi():
    """A flow's parameters that are JSON already are recorded as Prefect's own serialisation would
    record them, without importing FastAPI; any other value still goes through Prefect's."""
    import subprocess
    import sys

    probe = """
import sys
from prefect import flow
from flows.prefect_local import plain_parameters

@flow
def f(a=None, b=True, c=3, d=0.5, e="x"):
    pass

plain = {"a": None, "b": True, "c": 3, "d": 0.5, "e": "x"}
plain_parameters()
plain_parameters()  # a second call changes nothing
print(f.serialize_parameters(plain) == plain, "fastapi" in sys.modules)
from fastapi.encoders import jsonable_encoder
print(all(jsonable_encoder(v) == v and type(jsonable_encoder(v)) is type(v) for v in plain.values()))
print(f.serialize_parameters({"a": {"k": (1, 2)}, "b": "x"}))
"""
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().splitlines()[-3:] == ["True False", "True", "{'a': {'k': [1, 2]}, 'b': 'x'}"], done.stderr[-2000:]
