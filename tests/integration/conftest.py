"""The integration tests: against the session's real Label Studio and Prefect server, or in
processes of their own. Every test in this folder is marked `integration` here, by its place."""

from pathlib import Path

import pytest

HERE = Path(__file__).parent
SERVE = HERE / "test_serve.py"


def running_order(item) -> tuple[bool, bool]:
    """Tests that need no Label Studio first: it is still starting in the background when the
    unit tests end (tests/conftest.py, servers_starting). Then the tests that need it, and
    test_serve last: `claimflow serve` leaves the session's Prefect server busy for a while after
    its test (the runs its scheduler made ahead, cancelled in bulk), where no test waits on it."""
    return item.path == SERVE, "label_studio" in item.fixturenames


@pytest.hookimpl(tryfirst=True)  # before `-m` selects by marks
def pytest_collection_modifyitems(items):
    for item in items:
        if item.path.is_relative_to(HERE):
            item.add_marker(pytest.mark.integration)
    items.sort(key=running_order)  # stable: within each group the tests keep their order


CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser():
    """Headless Chromium (Debian's chromium, driven by playwright)."""
    import shutil

    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed; `make setup` installs it")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()
