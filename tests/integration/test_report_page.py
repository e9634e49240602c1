"""The report page over a landed and resolved batch, in Chromium: its "pushed" card counts what its
tables count, and no table runs off the page, however long the annotators' e-mails."""

from datetime import datetime

import pytest

from tests.unit.test_quality import PROJECT, URL, annotation, seed_warehouse, task
from warehouse.db import connection


def _page(db_path, tmp_path):
    from annotation.agreement import ResolvePolicy
    from flows.land import land_annotations
    from flows.resolve import compute
    from warehouse.report import render, report_data

    seed_warehouse(db_path)
    users = {1: "ana.maria.long-surname-for-testing@newsroom-factcheck-desk.example.org",
             2: "bartholomew.another-very-long-address@regional-fact-checking-team.example.com"}
    tasks = [task(101, [annotation(1, user=1), annotation(2, user=2)]),  # resolved
             task(102, [annotation(3, user=1, verdict="refuted")])]      # open: one answer of two
    land_annotations.fn(URL, str(db_path), PROJECT, tasks, users, datetime(2026, 11, 20, 11), "run-1")  # task 103: no answer yet
    compute.fn(str(db_path), ResolvePolicy(overlap=2, min_agreement=0.6, dawid_skene_min_claims=50), "resolve-1")
    with connection(db_path, read_only=True) as con:
        data = report_data(con)
    page = tmp_path / "report.html"
    page.write_text(render(data))
    return data, page


def test_the_pushed_card_counts_what_the_tables_count(db_path, tmp_path):
    from warehouse.report import status_cards

    data, _ = _page(db_path, tmp_path)
    cards = dict(status_cards(dict(zip(data.frames["status"]["status"], data.frames["status"]["claims"]))))
    assert cards["pushed"] == int(data.frames["articles"]["pushed"].sum()) == int(data.frames["sources"]["pushed"].sum()) == 3
    assert (cards["claims"], cards["not pushed"], cards["no answer yet"], cards["open"], cards["resolved"]) == (4, 1, 1, 1, 1)


def test_no_table_of_the_report_runs_off_the_page_in_chromium(db_path, tmp_path, browser):
    _, page_file = _page(db_path, tmp_path)
    page = browser.new_page(viewport={"width": 800, "height": 900})
    page.goto(page_file.as_uri())
    pushed = page.locator(".card", has_text="pushed").filter(has_not_text="not pushed").first.locator("b").inner_text()
    assert pushed == "3"
    assert page.evaluate("document.documentElement.scrollWidth") <= 800  # the page itself never scrolls sideways
    # The annotators table fits the page whole (headers break at underscores, e-mails anywhere):
    # it was 1,210 px wide, hidden behind its scroll bar even on a 1,280 px screen.
    fits = page.evaluate("""[...document.querySelectorAll('h3')].filter(h => h.textContent === 'Annotators')
        .map(h => h.nextElementSibling).map(box => [box.className, box.scrollWidth <= box.clientWidth])""")
    assert fits == [["scroll", True]]
