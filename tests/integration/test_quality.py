"""Resolve and report flows over a landed batch of the quality gate's mixed annotations."""

import pytest

from tests.unit.test_quality import PROJECT, URL, annotation, land, mixed_batch, seed_warehouse, task
from warehouse.db import connection


@pytest.fixture
def warehouse(db_path):
    seed_warehouse(db_path)
    return db_path


def test_resolve_and_report_over_the_landed_batch(warehouse, prefect_server, tmp_path, monkeypatch):
    from flows.report import report_flow
    from flows.resolve import resolve_flow

    land(warehouse, mixed_batch())
    land(warehouse, [task(102, [annotation(9, user=3, verdict="misleading"), annotation(21, user=4, verdict="misleading")],
                          updated="2026-11-20T14:00:00Z")], "run-2")
    monkeypatch.setenv("CLAIMFLOW_DB", str(warehouse))
    resolved = resolve_flow(mark=False)
    assert (resolved.claims, resolved.resolved, resolved.needs_review, resolved.open) == (3, 1, 1, 1)
    with connection(warehouse, read_only=True) as con:
        c2 = con.execute("SELECT status, verdict, agreement FROM claim_status WHERE claim_id = 'c2'").fetchone()
        article = con.execute("SELECT * FROM article_summary").df()
        source = con.execute("SELECT * FROM source_summary").df()
    assert c2 == ("resolved", "misleading", 1.0)
    # One article, no source: its counts are the source's, every count column summed.
    assert source.to_dict("records") == [{
        "source": "(unknown)", "articles": 1,
        **{c: int(article[c].sum()) for c in ("claims", "pushed", "resolved", "needs_review", "open", "supported", "refuted",
                                              "misleading", "not_enough_info", "not_checkable")},
    }]
    assert (source.loc[0, "resolved"], source.loc[0, "needs_review"], source.loc[0, "misleading"]) == (1, 1, 1)

    output = report_flow(out=str(tmp_path / "report"))
    page = output.page.read_text()
    assert page.count("<svg") == 3  # verdicts per source, agreement per article, quarantine over time
    assert "verdict_allowed" in page and "tie" in page and "needs review" in page
    docs = output.data_docs.read_text()
    assert output.data_docs.is_file() and "labels" in docs and "verdicts" in docs
    # The task needing review links to Label Studio; wide tables scroll inside the page.
    assert f'<a href="{URL}/projects/{PROJECT}/data?task=101">101</a>' in page and '<div class="scroll">' in page
    assert "{'" not in page  # votes read "misleading 1, supported 1", not a Python dict
    # The data docs load nothing from other hosts: styled by the stylesheet inlined in each page,
    # and the index lists the validation pages without JavaScript.
    import re

    for html_page in output.data_docs.parent.rglob("*.html"):
        text = html_page.read_text()
        assert not re.search(r"""<(?:link|script|img)\b[^>]*(?:href|src)=["']https?://""", text), html_page
        assert "claimflow: a small stylesheet" in text
    for suite in ("claims", "labels", "verdicts"):
        assert f'href="validations/{suite}/' in docs
