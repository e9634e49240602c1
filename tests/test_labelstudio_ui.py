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


def logged_in(browser, server, creds, size: tuple[int, int]):
    """A page of Label Studio's web UI, logged in with ``creds``."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(60_000)
    page.goto(f"{server.url}/user/login")
    page.fill("input[name=email]", creds.email)
    page.fill("input[name=password]", creds.password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda url: "/login" not in url)
    return page


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
    page = logged_in(browser, ls_env, creds, (1400, 1000))

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


def test_a_pair_task_shows_both_claims_side_by_side_and_a_submitted_relation_lands(ls_env, db_path, browser, tmp_path):
    from flows.ingest import ingest_flow
    from flows.land import land_flow
    from flows.match import match_flow
    from flows.push import push_flow

    assert ingest_flow(paths=[str(SAMPLES)]).ok
    match_flow()
    pushed = push_flow()
    assert pushed.pairs is not None and pushed.pairs.created > 0
    with connection(db_path, read_only=True) as con:
        task_id, claim_a, claim_b, relation = con.execute(
            "SELECT t.task_id, o.claim_a, o.claim_b, o.model_relation FROM pair_tasks t JOIN pair_overview o USING (pair_id)"
            " ORDER BY t.task_id LIMIT 1"
        ).fetchone()
    creds = ls_env.credentials()
    page = logged_in(browser, ls_env, creds, (1500, 1200))

    page.goto(f"{ls_env.url}/projects/{pushed.pairs.project_id}/data?task={task_id}")
    first = page.get_by_text(claim_a[:50], exact=False).first
    second = page.get_by_text(claim_b[:50], exact=False).first
    first.wait_for(state="visible")
    assert second.is_visible()
    a, b = first.bounding_box(), second.bounding_box()
    assert b["x"] > a["x"] + 200 and abs(b["y"] - a["y"]) < 150  # side by side, not one under the other
    labels = {"agree": "Agree", "contradict": "Contradict", "unrelated": "Unrelated", "different_event": "Different event"}
    radios = page.locator("input[type=radio]")
    checked = [radios.nth(n).get_attribute("name") or "" for n in range(radios.count()) if radios.nth(n).is_checked()]
    assert any(name.startswith(labels[relation]) for name in checked)  # the model's relation is pre-selected

    page.get_by_text("Different event or time", exact=False).first.click()
    page.screenshot(path=str(tmp_path / "pair.png"), full_page=True)
    page.get_by_role("button", name="Submit").click()
    page.wait_for_timeout(1500)
    report = land_flow()
    assert report.pairs.labels_new == 1
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT annotator, relation, task_id FROM pair_labels").fetchone() == (creds.email, "different_event", task_id)
