"""`make scaled-demo` (scripts/scaled_demo.sh): PostgreSQL, Label Studio and Prefect on it, a Dask
scheduler and two workers, the main job on the samples, and everything it started stopped after."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.conftest import ROOT, free_port
from tests.helpers import showing

# The warehouse on DuckLake needs the DuckLake support of the warehouse package (warehouse/lake.py);
# until it is there the demo keeps its warehouse in a DuckDB file, and everything else is the same.
WAREHOUSE = "ducklake" if importlib.util.find_spec("warehouse.lake") else "duckdb"


@pytest.mark.slow
def test_scaled_demo_runs_the_main_job_on_postgres_and_dask_then_stops_what_it_started():
    from flows.postgres_local import LocalPostgres

    folder = Path(tempfile.mkdtemp(prefix="claimflow-scaled-"))
    folder.chmod(0o711)  # the postgres account passes through when the tests run as root
    demo = folder / "scaled"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "PREFECT_", "LABEL_STUDIO_", "PG"))}
    env.update(
        CLAIMFLOW_DEMO_DIR=str(demo), CLAIMFLOW_DEMO_WAREHOUSE=WAREHOUSE, CLAIMFLOW_DEMO_DASK_PORT=str(free_port()),
        CLAIMFLOW_POSTGRES_PORT=str(free_port()), CLAIMFLOW_LS_PORT=str(free_port()),
        CLAIMFLOW_PREFECT_PORT=str(free_port()), CLAIMFLOW_LS_START_TIMEOUT="900", CLAIMFLOW_PREFECT_START_TIMEOUT="600",
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
    )
    try:
        ran = subprocess.run([str(ROOT / "scripts" / "scaled_demo.sh")], env=env, capture_output=True, text=True,
                             timeout=2400)
        assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
        assert "starting a Dask scheduler" in ran.stdout
        assert "Watch the flow runs in Prefect" in ran.stdout
        password = (demo / "postgres" / "password").read_text().strip()
        leaks = showing(password, output=ran.stdout + ran.stderr, claimflow_log=(demo / "claimflow.log").read_text(),
                        label_studio_log=(demo / "labelstudio" / "server.log").read_text(),
                        prefect_log=(demo / "prefect" / "server.log").read_text())
        assert leaks == []

        # the two workers joined the scheduler, and all the demo started is stopped
        scheduler_log = (demo / "dask-scheduler.log").read_text()
        assert scheduler_log.count("Register worker") >= 2
        assert not list(demo.glob("dask-*.pid"))
        for server in ("postgres", "labelstudio", "prefect"):
            status = subprocess.run([str(ROOT / ".venv" / "bin" / "claimflow"), server, "status"],
                                    env=env | {"CLAIMFLOW_POSTGRES_DATA_DIR": str(demo / "postgres"),
                                               "CLAIMFLOW_LS_DATA_DIR": str(demo / "labelstudio"),
                                               "CLAIMFLOW_PREFECT_DATA_DIR": str(demo / "prefect")},
                                    capture_output=True, text=True)
            assert status.returncode == 1, (server, status.stdout)

        # the flow runs were recorded, and the tasks pushed, in PostgreSQL
        postgres = LocalPostgres(data_dir=demo / "postgres", port=int(env["CLAIMFLOW_POSTGRES_PORT"]))
        postgres.start()
        try:
            runs = postgres.query("prefect", "select f.name, r.state_type from flow_run r join flow f on f.id = r.flow_id")
            # The Dask runner's extraction tasks (the default runner has none of this name).
            chunks = postgres.query("prefect", "select state_type from task_run where name like 'extract_chunk%'")
            tasks = postgres.query("labelstudio", "select count(*) from task")
        finally:
            postgres.stop()
        assert ["ingest", "COMPLETED"] in runs and ["push", "COMPLETED"] in runs, runs
        assert chunks and all(state == ["COMPLETED"] for state in chunks), chunks  # the extraction went to the Dask cluster
        assert int(tasks[0][0]) > 0
        assert not (demo / "labelstudio" / "label_studio.sqlite3").exists()
        assert not (demo / "prefect" / "prefect.db").exists()
    finally:
        subprocess.run([str(ROOT / "scripts" / "scaled_demo.sh"), "stop"], env=env, capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def test_scaled_demo_refuses_a_taken_dask_port_before_starting_anything(tmp_path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLAIMFLOW_", "PREFECT_", "LABEL_STUDIO_", "PG"))}
        env.update(CLAIMFLOW_DEMO_DIR=str(tmp_path / "scaled"), CLAIMFLOW_DEMO_DASK_PORT=str(port))
        ran = subprocess.run([str(ROOT / "scripts" / "scaled_demo.sh")], env=env, capture_output=True, text=True, timeout=120)
    assert ran.returncode == 1
    assert ran.stderr.strip() == (f"scaled-demo: port {port} on 127.0.0.1 is taken; "
                                  "set CLAIMFLOW_DEMO_DASK_PORT to a free port")
    assert sorted(p.name for p in (tmp_path / "scaled").iterdir()) == []  # no server, no Dask process started
