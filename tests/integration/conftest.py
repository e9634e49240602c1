"""The integration tests: against the session's real Label Studio and Prefect server, or in
processes of their own. Every test in this folder is marked `integration` here, by its place."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marks
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)
