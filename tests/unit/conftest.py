"""The unit tests: no server and no process of their own, DuckDB files in temporary folders at
most. A test here that asks for a server's fixture is refused at collection: it belongs in
tests/integration."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent
SERVERS = {"label_studio", "ls_env", "ls_client", "prefect_starting", "local_prefect", "prefect_server", "ingested_warehouse",
           "matched_warehouse", "ingested", "matched", "postgres", "postgres_database"}


def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(HERE) and (servers := SERVERS & set(getattr(item, "fixturenames", ()))):
            raise pytest.UsageError(f"{item.nodeid} uses {', '.join(sorted(servers))}: move it to tests/integration")
