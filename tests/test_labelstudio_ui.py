"""Label Studio's own web UI, driven in headless Chromium (Debian's chromium with playwright):
an annotator logs in, opens a task, sees the claim in its context, chooses a verdict and submits;
the next land picks the verdict up."""

import shutil

import pytest

from tests.conftest import SAMPLES
from warehouse.db import connection

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("prefect_server")]

CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("Debian's chromium is not installed; `make setup` installs it")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_an_annotator_gives_a_verdict_in_the_web_ui_and_the_next_land_has_it(ls_env, db_path, browser, tmp_path):
    from flows.ingest import ingest_flow
    from flows.land import land_flow
    from flows.push import push_flow

    assert ingest_flow(paths=[str(SAMPLES)]).ok
    pushed = push_flow()
    with connection(db_path, read_only=True) as con:
        task_id, claim, context = con.execute(
            "SELECT t.task_id, o.claim, o.context FROM tasks t JOIN claim_overview o USING (claim_id) "
            "WHERE o.context <> o.claim ORDER BY t.task_id LIMIT 1"
        ).fetchone()
    creds = ls_env.credentials()

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.set_default_timeout(60_000)
    page.goto(f"{ls_env.url}/user/login")
    page.fill("input[name=email]", creds.email)
    page.fill("input[name=password]", creds.password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)

    page.goto(f"{ls_env.url}/projects/{pushed.project_id}/data?task={task_id}")
    mark = page.locator("mark").filter(has_text=claim[:40]).first
    mark.wait_for(state="visible")
    assert mark.inner_text().strip() == claim
    # The context around the claim is shown too.
    neighbour = context.replace(claim, "").strip().split(". ")[0][:30]
    assert page.get_by_text(neighbour, exact=False).first.is_visible()
    # The model's prediction is pre-selected.
    assert page.locator("input[type=radio][name=check_worthy]").is_checked()

    page.locator("input[type=radio][name=refuted]").check()
    page.screenshot(path=str(tmp_path / "task.png"), full_page=True)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_timeout(1500)

    report = land_flow()
    assert report.labels_new == 1
    with connection(db_path, read_only=True) as con:
        row = con.execute("SELECT annotator, verdict, task_id, lead_time > 0 FROM labels").fetchone()
    assert row == (creds.email, "refuted", task_id, True)
