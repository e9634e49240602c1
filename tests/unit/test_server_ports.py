"""A local server on a machine shared with other servers: the pid file records the port, a
server runs only where its own process listens, and a port answered by a process claimflow did
not start is never taken for claimflow's server."""

import subprocess
import sys
import time

import pytest
from typer.testing import CliRunner

from annotation.errors import ServerStartError
from annotation.server import LocalServer
from flows.cli import app
from flows.prefect_local import LocalPrefect
from tests.conftest import free_port

# An HTTP server answering 200 to every GET (a health check included) on the port in argv[1];
# the words after it are only there to make its command line look like the server's it stands for.
FAKE = """
import http.server, sys
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{}")
    def log_message(self, *args): pass
http.server.HTTPServer(("127.0.0.1", int(sys.argv[1])), Ok).serve_forever()
"""


@pytest.fixture
def servers():
    """Start fake servers: ``start(port, *words)`` returns the process, stopped after the test."""
    started = []

    def start(port: int, *words: str) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", FAKE, str(port), *words])
        started.append(proc)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if not LocalPrefect(data_dir="/nonexistent", port=port).port_free():
                return proc
            time.sleep(0.05)
        raise AssertionError(f"the fake server on {port} did not listen")

    yield start
    for proc in started:
        proc.kill()
        proc.wait()


def test_a_server_running_on_another_port_is_not_reported_as_this_port_s_and_not_adopted(servers, tmp_path):
    mine, theirs = free_port(), free_port()
    ours = servers(mine, "prefect", "server")  # claimflow's server of this data folder, on its port
    servers(theirs, "prefect", "server")  # someone else's, answering health checks on the port now configured
    recorded = LocalPrefect(data_dir=tmp_path, port=mine)
    recorded.pid_file.write_text(f"{ours.pid} {mine}\n")

    server = LocalPrefect(data_dir=tmp_path, port=theirs)
    status = server.status()
    assert not status.running and status.pid is None
    assert f"runs on port {mine} (pid {ours.pid}), not on {theirs}: set CLAIMFLOW_PREFECT_PORT={mine}" in status.note
    with pytest.raises(ServerStartError, match=f"runs on port {mine}"):
        server.start(timeout=5)
    assert recorded.status().running and recorded.status().pid == ours.pid


def test_a_port_taken_by_a_process_claimflow_did_not_start_is_named_as_such(servers, tmp_path):
    port = free_port()
    servers(port, "prefect", "server")  # a Prefect server, healthy, but not claimflow's: no pid file names it
    server = LocalPrefect(data_dir=tmp_path, port=port)
    status = server.status()
    assert not status.running and status.pid is None
    assert status.note.startswith(f"port {port} is taken by another process (not started by claimflow)")
    with pytest.raises(ServerStartError, match=f"port {port} on 127.0.0.1 is taken by another process \\(not started by claimflow\\)"):
        server.start(timeout=5)
    assert not server.pid_file.exists()


def test_a_pid_file_naming_this_kind_of_server_on_another_port_does_not_make_this_port_s_server(servers, tmp_path):
    """A pid file of an older claimflow (the pid alone) is checked by who listens on the port."""
    port, other = free_port(), free_port()
    elsewhere = servers(other, "label-studio")
    servers(port, "some", "program")
    server = LocalServer(data_dir=tmp_path, venv=tmp_path / "venv", port=port)
    server.pid_file.write_text(str(elsewhere.pid))
    status = server.status()
    assert not status.running and status.pid is None
    assert status.note.startswith(f"port {port} is taken by another process (not started by claimflow); set CLAIMFLOW_LS_PORT")
    assert f"runs on port {other} (pid {elsewhere.pid}), not on {port}: set CLAIMFLOW_LS_PORT={other}" in status.note


def test_a_server_listening_on_its_recorded_port_runs(servers, tmp_path):
    port = free_port()
    proc = servers(port, "label-studio")
    server = LocalServer(data_dir=tmp_path, venv=tmp_path / "venv", port=port)
    server.pid_file.write_text(f"{proc.pid} {port}\n")
    status = server.status()
    assert status.running and status.pid == proc.pid and status.note is None
    assert server.start(timeout=5) == (status, False)  # reused, not started again


def test_status_names_the_process_on_the_port_in_one_line(servers, tmp_path, monkeypatch):
    port = free_port()
    servers(port, "prefect", "server")
    monkeypatch.setenv("CLAIMFLOW_PREFECT_PORT", str(port))
    monkeypatch.setenv("CLAIMFLOW_PREFECT_DATA_DIR", str(tmp_path / "prefect"))
    monkeypatch.setenv("CLAIMFLOW_LOG_FILE", str(tmp_path / "claimflow.log"))
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "home"))
    result = CliRunner().invoke(app, ["prefect", "status"])
    assert result.exit_code == 1
    assert result.output.startswith(
        f"not running: http://127.0.0.1:{port}; port {port} is taken by another process (not started by claimflow)"
    ), result.output
    assert "(pid" not in result.output


FAKE_PREFECT = """#!{python}
import http.server, sys
port = int(sys.argv[sys.argv.index("--port") + 1])
class Ok(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200); self.end_headers(); self.wfile.write(b"{{}}")
    def log_message(self, *args): pass
open("prefect.db", "a").close()  # as the real one creates its database in its folder
http.server.HTTPServer(("127.0.0.1", port), Ok).serve_forever()
"""


def test_a_start_is_announced_before_the_wait_and_recorded_with_its_port(tmp_path):
    executable = tmp_path / "bin" / "prefect"  # a stand-in for `prefect server start`: answers its health check
    executable.parent.mkdir()
    executable.write_text(FAKE_PREFECT.format(python=sys.executable))
    executable.chmod(0o755)
    port = free_port()
    server = LocalPrefect(data_dir=tmp_path / "data", port=port, executable=executable)
    heard = []
    try:
        status, started = server.start(timeout=30, announce=heard.append)
        assert started and status.running
        assert heard == [f"starting the local Prefect server at http://127.0.0.1:{port} "
                         "(the first start sets up its database: up to a minute)"]
        assert server.pid_file.read_text().split() == [str(status.pid), str(port)]
        assert server.start(timeout=30, announce=heard.append) == (status, False) and len(heard) == 1  # reused: nothing said
        server.stop()
        again = LocalPrefect(data_dir=tmp_path / "data", port=free_port(), executable=executable)  # its database is there now
        again.start(timeout=30, announce=heard.append)
        assert heard[1] == f"starting the local Prefect server at http://127.0.0.1:{again.port} (a few seconds)"
    finally:
        server.stop()
