"""Label Studio's own web UI, driven in headless Chromium (Debian's chromium with playwright):
an annotator logs in, opens a task, sees the claim in its context, chooses a verdict and submits;
the next land picks the verdict up. A second annotator opens the link the CLI prints (the
labeling stream), gets a fresh annotation of the task the first one annotated, answers with the
keys, and the land attributes it to them. Letters and digits typed outside a text box change no
answer of a submitted task, in claim and pair forms."""

import re
import string
import xml.etree.ElementTree as ET

import pytest

from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")


def radio(alias: str) -> str:
    """The radio button of a choice: Label Studio names it by the choice's shown value."""
    from annotation.config import config_text

    (choice,) = [c for c in ET.fromstring(config_text()).iter("Choice") if c.attrib.get("alias") == alias]
    return f'input[type=radio][name="{choice.attrib["value"]}"]'


def log_in(browser, url: str, email: str, password: str, size: tuple[int, int] = (1400, 1000)):
    """A page of Label Studio's web UI, logged in."""
    page = browser.new_page(viewport={"width": size[0], "height": size[1]})
    page.set_default_timeout(60_000)
    page.goto(f"{url}/user/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(lambda u: "/login" not in u)
    return page


@pytest.mark.slow
def test_an_annotator_gives_a_verdict_in_the_web_ui_and_the_next_land_has_it(ingested, ls_env, db_path, browser, tmp_path):
    from flows.land import land_flow
    from flows.push import push_flow

    pushed = push_flow()
    with connection(db_path, read_only=True) as con:
        task_id, claim, context = con.execute(
            "SELECT t.task_id, o.claim, o.context FROM tasks t JOIN claim_overview o USING (claim_id) "
            "WHERE o.context <> o.claim ORDER BY t.task_id LIMIT 1"
        ).fetchone()
    creds = ls_env.credentials()
    page = log_in(browser, ls_env.url, creds.email, creds.password)

    page.goto(f"{ls_env.url}/projects/{pushed.project_id}/data?task={task_id}")
    mark = page.locator("mark").filter(has_text=claim[:40]).first
    mark.wait_for(state="visible")
    assert mark.inner_text().strip() == claim
    # The context around the claim is shown too.
    neighbour = context.replace(claim, "").strip().split(". ")[0][:30]
    assert page.get_by_text(neighbour, exact=False).first.is_visible()
    # The model's prediction is pre-selected.
    assert page.locator(radio("check_worthy")).is_checked()

    page.locator(radio("refuted")).check()
    page.screenshot(path=str(tmp_path / "task.png"), full_page=True)
    page.get_by_test_id("bottombar-submit-button").click()
    page.wait_for_timeout(1500)

    report = land_flow()
    assert report.labels_new == 1
    with connection(db_path, read_only=True) as con:
        row = con.execute("SELECT annotator, verdict, task_id, lead_time > 0 FROM labels").fetchone()
    assert row == (creds.email, "refuted", task_id, True)


@pytest.mark.slow
def test_a_pair_task_shows_both_claims_side_by_side_and_a_submitted_relation_lands(matched, ls_env, db_path, browser, tmp_path):
    from flows.land import land_flow
    from flows.push import push_flow

    pushed = push_flow()
    assert pushed.pairs is not None and pushed.pairs.created > 0
    with connection(db_path, read_only=True) as con:
        task_id, claim_a, claim_b, relation = con.execute(
            "SELECT t.task_id, o.claim_a, o.claim_b, o.model_relation FROM pair_tasks t JOIN pair_overview o USING (pair_id)"
            " ORDER BY t.task_id LIMIT 1"
        ).fetchone()
    creds = ls_env.credentials()
    page = log_in(browser, ls_env.url, creds.email, creds.password, (1500, 1200))

    page.goto(f"{ls_env.url}/projects/{pushed.pairs.project_id}/data?task={task_id}")
    sides = page.locator(".cf-side")  # the labeling panel's two columns (the Data Manager's grid shows the claims too)
    first = sides.nth(0).get_by_text(claim_a[:50], exact=False).first
    second = sides.nth(1).get_by_text(claim_b[:50], exact=False).first
    first.wait_for(state="visible")
    second.wait_for(state="visible")
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


@pytest.mark.slow
def test_a_second_annotator_opens_the_printed_link_and_gets_a_fresh_annotation_of_their_own(ingested, ls_env, ls_client, db_path, browser, tmp_path):
    from typer.testing import CliRunner

    from annotation.results import annotation_result
    from flows.cli import app
    from flows.land import land_flow
    from tests.conftest import sign_up

    pushed = CliRunner().invoke(app, ["push"])
    assert pushed.exit_code == 0, pushed.output
    link = re.search(r"Annotate at: (\S+)", pushed.output).group(1)
    assert link.endswith("/data?labeling=1")  # the labeling stream, not the Data Manager
    with connection(db_path, read_only=True) as con:
        task_id, claim = con.execute(
            "SELECT t.task_id, c.text FROM tasks t JOIN claims c USING (claim_id) ORDER BY t.task_id LIMIT 1").fetchone()
    # The first annotator has judged the first task.
    first = ls_client.ensure_user("first.ui@desk.example")
    ls_client.annotate(task_id, annotation_result(verdict="supported", confidence=5), user=first, lead_time=30.0)
    second = sign_up(ls_client, "second.ui@desk.example", "second-annotator-pass")

    page = log_in(browser, ls_env.url, "second.ui@desk.example", "second-annotator-pass")
    page.goto(link)
    page.get_by_text("Giving a claim its verdict").wait_for(state="visible")  # the instructions open first
    page.keyboard.press("Escape")
    mark = page.locator("mark").first
    mark.wait_for(state="visible")
    assert mark.inner_text().strip() == claim  # the stream serves the task that still needs an annotator
    # A fresh annotation: none of the first annotator's answers is shown.
    assert not any(page.locator(radio(v)).is_checked() for v in ("supported", "refuted", "misleading"))
    page.keyboard.press("Control+Shift+2")  # refuted
    for _ in range(3):
        page.keyboard.press("Control+Shift+0")  # one more star each
    assert page.locator(radio("refuted")).is_checked()
    page.screenshot(path=str(tmp_path / "stream.png"), full_page=True)
    page.get_by_test_id("bottombar-submit-button").click()
    page.wait_for_timeout(1500)

    report = land_flow()
    assert (report.labels_new, report.quarantined) == (2, 0)
    with connection(db_path, read_only=True) as con:
        rows = con.execute("SELECT annotator, updated_by_id, verdict, confidence, check_worthy FROM labels WHERE task_id = ?"
                           " ORDER BY annotator", [task_id]).fetchall()
    second_id = second.sdk.users.whoami().id
    assert rows == [
        ("first.ui@desk.example", ls_client.sdk.users.whoami().id, "supported", 5, None),
        ("second.ui@desk.example", second_id, "refuted", 3, True),
    ]


TYPED = string.ascii_lowercase + string.digits


def answers(page) -> tuple:
    """What the open task's form shows: the checked radio buttons (by name) and the stars."""
    radios = page.locator("input[type=radio]")
    checked = sorted(radios.nth(n).get_attribute("name") or "" for n in range(radios.count()) if radios.nth(n).is_checked())
    return tuple(checked), page.locator(".ant-rate-star-full").count()


def type_outside_text_boxes(page, click_on: str) -> None:
    """Click a heading of the form (no text box has the focus), then type every letter and digit
    and a URL, as someone typing into the wrong place does."""
    page.get_by_text(click_on, exact=True).first.click()
    for key in TYPED:
        page.keyboard.press(key)
    page.keyboard.type("https://example.org/cc?q=1234567890")
    page.wait_for_timeout(500)


@pytest.mark.slow
def test_letters_and_digits_typed_outside_a_text_box_change_no_answer_of_a_submitted_claim(ingested, ls_env, ls_client, db_path, browser):
    from annotation.results import annotation_result
    from flows.push import push_flow

    project = push_flow().project_id
    with connection(db_path, read_only=True) as con:
        (task_id,) = con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 1").fetchone()
    me = ls_client.sdk.users.whoami().id
    result = annotation_result(verdict="refuted", confidence=2, check_worthy=True, rationale="Checked the record.")
    annotation = ls_client.annotate(task_id, result, user=me)
    creds = ls_env.credentials()
    page = log_in(browser, ls_env.url, creds.email, creds.password)
    page.goto(f"{ls_env.url}/projects/{project}/data?task={task_id}")
    page.locator(radio("refuted")).wait_for(state="attached")
    page.wait_for_function("document.querySelectorAll('.ant-rate-star-full').length > 0")
    before = answers(page)
    assert before[1] == 2 and page.locator(radio("refuted")).is_checked() and page.locator(radio("check_worthy")).is_checked()

    type_outside_text_boxes(page, "In context")
    assert f"task={task_id}" in page.url  # still on the task
    assert answers(page) == before
    assert ls_client.sdk.annotations.get(id=annotation).result == result
    # The keys with Ctrl+Shift still work.
    page.keyboard.press("Control+Shift+3")
    page.keyboard.press("Control+Shift+0")
    assert page.locator(radio("misleading")).is_checked() and answers(page)[1] == 3


@pytest.mark.slow
def test_letters_and_digits_typed_outside_a_text_box_change_no_answer_of_a_submitted_pair(matched, ls_env, ls_client, db_path, browser):
    from annotation.pairs import pair_result
    from flows.push import push_flow

    pushed = push_flow()
    with connection(db_path, read_only=True) as con:
        (task_id,) = con.execute("SELECT task_id FROM pair_tasks ORDER BY task_id LIMIT 1").fetchone()
    me = ls_client.sdk.users.whoami().id
    ls_client.annotate(task_id, pair_result(relation="unrelated", rationale="Different summits."), user=me)
    creds = ls_env.credentials()
    page = log_in(browser, ls_env.url, creds.email, creds.password, (1500, 1200))
    page.goto(f"{ls_env.url}/projects/{pushed.pairs.project_id}/data?task={task_id}")
    unrelated = page.locator('input[type=radio][name^="Unrelated"]')
    unrelated.wait_for(state="attached")
    page.wait_for_function("[...document.querySelectorAll('input[type=radio]')].some(r => r.checked && r.name.startsWith('Unrelated'))")
    before = answers(page)

    type_outside_text_boxes(page, "Why the model paired them")
    assert f"task={task_id}" in page.url
    assert answers(page) == before and unrelated.is_checked()
    page.keyboard.press("Control+Shift+2")
    assert page.locator('input[type=radio][name^="Contradict"]').is_checked()
