"""The integration tests: against the session's real Label Studio and Prefect server, or in
processes of their own. Every test in this folder is marked `integration` here, by its place."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent
# `claimflow serve` leaves the session's Prefect server busy for a minute or two after its test
# (runs its scheduler made ahead, cancelled in bulk, SQLite locked meanwhile): it runs last, where
# no test waits on that server.
LAST = HERE / "test_serve.py"


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marks
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)
    items.sort(key=lambda item: item.path == LAST)  # stable: every other test keeps its place
