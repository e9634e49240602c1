"""The ClaimReview export pasted into a web page, as a publisher does: inside the usual
`<script type="application/ld+json">` block, in headless Chromium. Hostile text in an article's
title, source, a claim or a rationale runs nothing, and the block still parses back to the same
strings; a `javascript:` URL is never a link in the export."""

import json
from datetime import datetime

from typer.testing import CliRunner

from flows.cli import app
from warehouse.db import connection

# Each one ran a script or changed the page when the export wrote it as is.
HOSTILE = {
    "title": "</script><script>window.ran = (window.ran || []).concat('title')</script>",
    "source": "</SCRIPT ><img src=x onerror=\"window.ran = (window.ran || []).concat('source')\">",
    "claim": "Aid rose 5% & more <!--<script>window.ran = (window.ran || []).concat('claim')</script>",
    "rationale": "</script ><svg onload=\"window.ran = (window.ran || []).concat('rationale')\">",
}
BAD_URLS = ["javascript:window.ran=(window.ran||[]).concat('url')", " JavaScript:alert(1)", "java\tscript:alert(1)",
            "data:text/html,<script>alert(1)</script>"]


def hostile_warehouse(db_path):
    at = datetime(2026, 11, 1, 12)
    with connection(db_path) as con:
        con.execute(
            "INSERT INTO articles (article_id, title, url, source, published_at, text, n_chars, n_words, ingested_at)"
            " VALUES ('a1', ?, ?, ?, '2025-02-15', 'Some text here.', 15, 3, ?)",
            [HOSTILE["title"], BAD_URLS[0], HOSTILE["source"], at],
        )
        con.execute(
            "INSERT INTO claims (claim_id, article_id, seq, start_char, end_char, text, block_kind, score, claim_type,"
            " context_start, context_end, scorer, model, extracted_at) VALUES ('c1', 'a1', 0, 0, 4, ?, 'paragraph', 0.9,"
            " 'statement', 0, 15, 'rules-v1', 'test', ?)", [HOSTILE["claim"], at],
        )
        con.execute(
            "INSERT INTO verdicts (claim_id, verdict, status, method, n_annotations, votes, agreement, resolved_at)"
            " VALUES ('c1', 'refuted', 'resolved', 'majority_vote', 1, MAP {'refuted': 1}, 1.0, ?)", [at],
        )
        con.execute(
            "INSERT INTO labels (ls_url, annotation_id, project_id, task_id, claim_id, annotator, verdict, rationale,"
            " evidence_urls, created_at, landed_at) VALUES ('http://ls', 1, 1, 1, 'c1', 'a@x', 'refuted', ?, ?, ?, ?)",
            [HOSTILE["rationale"], BAD_URLS[1:] + ["https://stats.example/table?a=1&b=2"], at, at],
        )
    return db_path


def test_a_hostile_claimreview_export_pasted_into_a_json_ld_block_runs_nothing_and_parses_back(db_path, tmp_path, browser):
    out = tmp_path / "reviews.jsonld"
    result = CliRunner().invoke(app, ["export", "--format", "claimreview", "--out", str(out), "--db", str(hostile_warehouse(db_path))])
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert not {"<", ">", "&"} & set(text)
    (item,) = json.loads(text)
    assert item["itemReviewed"]["appearance"] == {"@type": "CreativeWork", "headline": HOSTILE["title"]}
    assert item["itemReviewed"]["author"]["name"] == HOSTILE["source"]
    assert item["claimReviewed"] == HOSTILE["claim"] and item["reviewBody"] == HOSTILE["rationale"]
    assert item["isBasedOn"] == [{"@type": "CreativeWork", "url": "https://stats.example/table?a=1&b=2"}]

    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.set_content(
        "<!doctype html><html><head><title>A fact-check</title>"
        f'<script type="application/ld+json" id="ld">{text}</script></head>'
        "<body><p id=after>the page goes on</p></body></html>"
    )
    page.wait_for_timeout(500)  # an onerror or onload handler runs after the parse
    assert page.evaluate("window.ran === undefined") and not dialogs
    assert page.evaluate("document.scripts.length") == 1
    assert page.evaluate("document.querySelectorAll('img, svg').length") == 0
    assert page.text_content("#after") == "the page goes on"
    assert page.evaluate("JSON.parse(document.getElementById('ld').textContent)") == [item]
