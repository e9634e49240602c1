"""The match flow under real Prefect, into a real DuckDB file: every claim is matched once
against the claims of other articles, pairs are stored once each, a re-run adds nothing, and on
the sample articles the unity-against-fractures disagreement is near the top."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT, copy_warehouse
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

UNITY = "Russia’s Expectations for Renewed Dialogue at MSC Fall Short"   # "Western unity ... remained steadfast", the 2024 MSC
FRACTURES = "Outcomes of the Munich Security Conference: A Shift in Global Dynamics"  # "5. Rising Transatlantic Fractures"


@pytest.fixture(scope="module")
def matched(tmp_path_factory, matched_warehouse):
    """The session's ingest and match of the sample articles, in a warehouse of this module's own
    (its tests add to it): (the warehouse file, the match flow's report)."""
    template, report = matched_warehouse
    return copy_warehouse(template, tmp_path_factory.mktemp("match") / "claimflow.duckdb"), report


def test_every_claim_is_embedded_once_and_matched(matched):
    db, report = matched
    with connection(db, read_only=True) as con:
        claims = con.execute("SELECT count(*) FROM claims").fetchone()[0]
        embedded = con.execute("SELECT count(*), count(DISTINCT claim_id), min(len(embedding)) FROM claim_embeddings").fetchone()
        matched_claims = con.execute("SELECT count(*) FROM matched_claims").fetchone()[0]
    assert report.claims_embedded == claims == embedded[0] == embedded[1] == matched_claims == report.claims_matched
    assert embedded[2] == 384 and report.articles_embedded == 5


def test_pairs_join_claims_of_different_articles_once_each_in_claim_id_order(matched):
    db, report = matched
    with connection(db, read_only=True) as con:
        rows = con.execute(
            "SELECT p.pair_id, p.claim_id_a, p.claim_id_b, a.article_id, b.article_id, p.similarity, p.contradiction,"
            " p.article_id_a, p.article_id_b FROM claim_pairs p"
            " JOIN claims a ON a.claim_id = p.claim_id_a JOIN claims b ON b.claim_id = p.claim_id_b"
        ).fetchall()
    assert len(rows) == report.pairs_new > 20
    assert len({r[0] for r in rows}) == len({(r[1], r[2]) for r in rows}) == len(rows)
    for _, a, b, art_a, art_b, similarity, contradiction, stored_a, stored_b in rows:
        assert a < b and art_a != art_b and (art_a, art_b) == (stored_a, stored_b)
        assert 0 <= similarity <= 1 and 0 <= contradiction <= 1


def test_a_rerun_adds_nothing(matched):
    from flows.match import match_flow

    db, first = matched
    again = match_flow(db=str(db))
    assert (again.claims_embedded, again.claims_matched, again.pairs_new) == (0, 0, 0)
    with connection(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM claim_pairs").fetchone()[0] == first.pairs_new


def test_unity_against_fractures_is_among_the_ten_likeliest_contradictions(matched):
    db, _ = matched
    with connection(db, read_only=True) as con:
        top = con.execute(
            "SELECT article_a, article_b FROM candidate_contradictions ORDER BY contradiction DESC LIMIT 10"
        ).fetchall()
    assert any({a, b} == {UNITY, FRACTURES} for a, b in top), top


def test_pairs_with_the_2024_conference_article_carry_the_date_reason(matched):
    db, _ = matched
    with connection(db, read_only=True) as con:
        rows = con.execute(
            "SELECT reasons FROM pair_overview WHERE (article_a = ? OR article_b = ?) AND article_a <> article_b", [UNITY, UNITY]
        ).fetchall()
        years = con.execute(
            "SELECT e.event_years FROM article_embeddings e JOIN articles a USING (article_id) WHERE a.title = ?", [UNITY]
        ).fetchone()[0]
    assert years == [2024] and rows
    cues = [{r["cue"] for r in json.loads(reasons)} for (reasons,) in rows]
    assert all(c & {"date_unconfirmed", "different_dates"} for c in cues)


def test_a_new_article_is_matched_against_what_is_there(matched, tmp_path):
    from flows.ingest import ingest_flow
    from flows.match import match_flow

    db, _ = matched
    with connection(db, read_only=True) as con:
        before = con.execute("SELECT count(*) FROM claim_pairs").fetchone()[0]
        old = {r[0] for r in con.execute("SELECT claim_id FROM claims").fetchall()}
    article = tmp_path / "new.txt"
    article.write_text(
        "Transatlantic split deepens\n"
        "At the Munich Security Conference, European and American officials openly disagreed on Ukraine.\n"
        "Several diplomats said the alliance had never looked so divided.\n",
        encoding="utf-8",
    )
    assert ingest_flow(paths=[str(article)], db=str(db)).articles_new == 1
    report = match_flow(db=str(db))
    assert report.claims_matched == 2 and report.claims_embedded == 2 and report.pairs_new > 0
    with connection(db, read_only=True) as con:
        new_pairs = con.execute("SELECT claim_id_a, claim_id_b FROM claim_pairs ORDER BY matched_at DESC LIMIT ?",
                                [report.pairs_new]).fetchall()
        assert con.execute("SELECT count(*) FROM claim_pairs").fetchone()[0] == before + report.pairs_new
    assert all(len({a, b} & old) == 1 for a, b in new_pairs)  # each new pair joins a new claim to an old one


@pytest.mark.slow
def test_the_check_interface_ingest_then_match_on_a_jsonl_with_a_one_sentence_article(tmp_path, local_prefect):
    db = tmp_path / "d.duckdb"
    articles = tmp_path / "articles.jsonl"
    lines = [
        {"text": "Western unity on sanctions remained steadfast at the Munich Security Conference.", "source": "Wire A"},
        {"text": "The Munich Security Conference revealed deep divides between the United States and Europe.", "source": "Wire B"},
        {"text": "Bread prices in Lyon rose by four percent this autumn.", "source": "Wire C"},
    ]
    articles.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_HOME": str(tmp_path / "prefect"), **local_prefect}  # the session's local Prefect, as a user's
    claimflow = [sys.executable, "-m", "flows.cli"]
    ingest = subprocess.run(claimflow + ["ingest", str(articles), "--db", str(db)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert ingest.returncode == 0, ingest.stderr
    match = subprocess.run(claimflow + ["match", "--db", str(db)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert match.returncode == 0, match.stderr
    with connection(db, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM claims").fetchone()[0] == 3  # one claim per one-sentence article
        pairs = con.execute("SELECT claim_id_a, claim_id_b, similarity, contradiction FROM claim_pairs").fetchall()
        texts = dict(con.execute("SELECT claim_id, text FROM claims").fetchall())
    assert pairs
    best = max(pairs, key=lambda p: p[3])  # the likeliest contradiction: unity against divides
    assert {texts[best[0]][:13], texts[best[1]][:13]} == {"Western unity", "The Munich Se"}


def test_a_negated_claim_in_a_new_article_is_paired_with_the_sample_claim_and_judged_by_the_inference_model(matched, tmp_path):
    from flows.ingest import ingest_flow
    from flows.match import match_flow

    db, _ = matched
    article = tmp_path / "negation.txt"
    article.write_text(
        "NATO spending talks stall\n"
        "NATO allies did not agree to raise the defence spending guideline to 3% of GDP.\n"
        "European defense spending is not expected to rise this year, officials at the conference said.\n",
        encoding="utf-8",
    )
    assert ingest_flow(paths=[str(article)], db=str(db)).articles_new == 1
    match_flow(db=str(db))
    with connection(db, read_only=True) as con:
        pair = con.execute(
            "SELECT p.contradiction, p.relation, p.reasons FROM claim_pairs p"
            " JOIN claims a ON a.claim_id = p.claim_id_a JOIN claims b ON b.claim_id = p.claim_id_b"
            " WHERE (a.text LIKE 'NATO allies did not agree%' AND b.text LIKE 'The current NATO guideline%')"
            "    OR (b.text LIKE 'NATO allies did not agree%' AND a.text LIKE 'The current NATO guideline%')"
        ).fetchone()
    assert pair is not None, "the negated claim was not paired with the sample's claim"
    contradiction, relation, reasons = pair
    assert 0 <= contradiction <= 1 and relation in ("agree", "contradict", "unrelated", "different_event")
    assert json.loads(reasons)[0]["cue"] == "inference"
