"""The ingest flow under a real (temporary) Prefect server, into a real DuckDB file."""

import asyncio
import json
import shutil

import pytest

from tests.conftest import SAMPLES
from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")


def flow_run_state(run_id: str) -> str:
    from prefect.client.orchestration import get_client

    async def read():
        async with get_client() as client:
            return (await client.read_flow_run(run_id)).state.type.value

    return asyncio.run(read())


def test_ingest_flow_lands_the_sample_articles_and_their_claims(db_path):
    from flows.ingest import ingest_flow

    report = ingest_flow(paths=[str(SAMPLES)], db=str(db_path))
    assert report.ok and report.files == 5
    assert (report.articles_new, report.articles_known) == (5, 0)
    assert report.claims_new > 100
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
        assert con.execute("SELECT count(*) FROM claims").fetchone()[0] == report.claims_new
        titles = [r[0] for r in con.execute("SELECT title FROM article_claim_summary WHERE claims > 0 ORDER BY title").fetchall()]
        run = con.execute("SELECT flow, status, counts->>'claims_new' FROM runs WHERE run_id = ?", [report.run_id]).fetchone()
        top = con.execute("SELECT claim, score FROM claim_overview ORDER BY score DESC LIMIT 1").fetchone()
    assert len(titles) == 5 and "Outcomes of the Munich Security Conference: A Shift in Global Dynamics" in titles
    assert run == ("ingest", "completed", str(report.claims_new))
    assert top[1] > 0.8
    assert flow_run_state(report.run_id) == "COMPLETED"


def test_reingesting_the_same_articles_adds_nothing(db_path):
    from flows.ingest import ingest_flow

    first = ingest_flow(paths=[str(SAMPLES)], db=str(db_path))
    second = ingest_flow(paths=[str(SAMPLES), str(SAMPLES / "*.txt")], db=str(db_path))
    assert (second.files, second.articles_new, second.claims_new, second.articles_known) == (5, 0, 0, 5)
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 5
        assert con.execute("SELECT count(*) FROM claims").fetchone()[0] == first.claims_new
        assert con.execute("SELECT count(*) FROM runs WHERE status = 'completed'").fetchone()[0] == 2


def test_bad_inputs_are_recorded_and_the_good_ones_still_land_then_a_fixed_rerun_completes(db_path, tmp_path):
    from flows.ingest import ingest_flow

    inbox = tmp_path / "inbox"
    inbox.mkdir()
    shutil.copy(next(SAMPLES.glob("001-*")), inbox / "good.txt")
    (inbox / "empty.txt").write_bytes(b"")
    (inbox / "binary.txt").write_bytes(b"\x00\x01\x02PK\x03\x04")
    (inbox / "latin1.txt").write_bytes("NATO tagte in M\u00fcnchen am Freitag.".encode("latin-1"))
    (inbox / "huge.txt").write_text("NATO has 32 members. " * 1_000_000)
    (inbox / "feed.jsonl").write_text('{"text": "Russia reported heavy losses on Monday, officials said."}\n{"text": \n')
    missing = str(tmp_path / "missing.txt")

    report = ingest_flow(paths=[str(inbox), missing], db=str(db_path))
    reasons = {(f["path"].rsplit("/", 1)[1], f["line"]): f["reason"] for f in report.failures}
    assert set(reasons) == {
        ("missing.txt", None), ("empty.txt", None), ("binary.txt", None), ("latin1.txt", None), ("huge.txt", None), ("feed.jsonl", 2)
    }
    assert report.articles_new == 2 and not report.ok
    with connection(db_path, read_only=True) as con:
        recorded = con.execute("SELECT count(*) FROM ingest_failures WHERE run_id = ?", [report.run_id]).fetchone()[0]
        status = con.execute("SELECT status FROM runs WHERE run_id = ?", [report.run_id]).fetchone()[0]
    assert recorded == 6 and status == "completed_with_failures"

    (inbox / "latin1.txt").write_text("NATO tagte in M\u00fcnchen am Freitag, sagten Beamte.", encoding="utf-8")
    for name in ("empty.txt", "binary.txt", "huge.txt"):
        (inbox / name).unlink()
    (inbox / "feed.jsonl").write_text('{"text": "Russia reported heavy losses on Monday, officials said."}\n{"text": "Kyiv said 12 drones were downed overnight."}\n')
    again = ingest_flow(paths=[str(inbox)], db=str(db_path))
    assert again.ok and (again.articles_new, again.articles_known) == (2, 2)
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT article_id) FROM articles").fetchone() == (4, 4)
        dupes = con.execute("SELECT count(*) - count(DISTINCT claim_id) FROM claims").fetchone()[0]
    assert dupes == 0


def test_an_article_whose_extraction_breaks_does_not_stop_the_others(db_path, tmp_path, monkeypatch):
    from claims import extract as extract_module
    from flows.ingest import ingest_flow

    real = extract_module.sentence_features

    def explode_on_kyiv(span):
        if "Kyiv" in span.text:
            raise RuntimeError("boom")
        return real(span)

    monkeypatch.setattr(extract_module, "sentence_features", explode_on_kyiv)
    (tmp_path / "a.txt").write_text("Kyiv said 12 drones were downed overnight.")
    (tmp_path / "b.txt").write_text("NATO was founded in 1949 by twelve countries.")
    report = ingest_flow(paths=[str(tmp_path / "a.txt"), str(tmp_path / "b.txt")], db=str(db_path))
    assert report.articles_new == 1
    (failure,) = report.failures
    assert failure["path"].endswith("a.txt") and "RuntimeError: boom" in failure["reason"]

    monkeypatch.setattr(extract_module, "sentence_features", real)
    again = ingest_flow(paths=[str(tmp_path)], db=str(db_path))
    assert again.ok and again.articles_new == 1 and again.articles_known == 1


def test_an_article_never_lands_without_its_claims_when_the_load_fails(db_path, tmp_path, monkeypatch):
    from flows.ingest import ingest_flow
    from warehouse import load

    real = load.upsert_claims

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    (tmp_path / "a.txt").write_text("NATO was founded in 1949 by twelve countries, officials said.")
    monkeypatch.setattr(load, "upsert_claims", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        ingest_flow(paths=[str(tmp_path)], db=str(db_path))
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
        assert con.execute("SELECT status FROM runs").fetchone()[0] == "failed"

    monkeypatch.setattr(load, "upsert_claims", real)
    report = ingest_flow(paths=[str(tmp_path)], db=str(db_path))
    assert (report.articles_new, report.claims_new) == (1, 1)


def test_rescore_replaces_the_scores_of_ingested_claims(db_path, monkeypatch):
    from claims.checkworthy import model_version, score_texts
    from flows.ingest import ingest_flow
    from flows.rescore import rescore_flow

    monkeypatch.setenv("CLAIMFLOW_SCORER", "rules-v1")
    report = ingest_flow(paths=[str(SAMPLES)], db=str(db_path))
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT DISTINCT scorer FROM claims").fetchall() == [("rules-v1",)]
        rules = dict(con.execute("SELECT claim_id, score FROM claims").fetchall())
    rescored = rescore_flow(db=str(db_path), scorer="model")
    assert (rescored.claims, rescored.scorer) == (report.claims_new, model_version())
    assert 0 < rescored.changed <= rescored.claims
    with connection(db_path, read_only=True) as con:
        rows = con.execute("SELECT claim_id, text, score, scorer, features FROM claims ORDER BY claim_id").fetchall()
    assert {r[3] for r in rows} == {model_version()}
    # The model's scores, but 0 for a claim with no verb, which it does not read (one in the samples).
    verbless = [not json.loads(r[4])["has_verb"] for r in rows]
    assert sum(verbless) == 1
    assert [r[2] for r in rows] == [0.0 if v else s for v, s in zip(verbless, score_texts([r[1] for r in rows]))]
    assert [r[2] for r in rows] != [rules[r[0]] for r in rows]
    assert rescore_flow(db=str(db_path), scorer="model").changed == 0  # a second rescore changes nothing


def test_a_reingest_command_loads_no_model_and_sends_no_heartbeats(prefect_server, db_path, ingested_warehouse):
    """`claimflow ingest` of articles the warehouse holds, in its own process: no spaCy, no
    language detector, no Great Expectations and no scorer are imported, and its flow run sends
    no heartbeats (bench/README.md: the cost of a warm command)."""
    import os
    import subprocess
    import sys

    from tests.conftest import copy_warehouse

    copy_warehouse(ingested_warehouse[0], db_path)
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "CLAIMFLOW_DB": str(db_path)}
    env.pop("PREFECT_FLOWS_HEARTBEAT_FREQUENCY", None)
    probe = (
        "import sys; from flows.cli import app\n"
        f"try: app(['ingest', {str(SAMPLES)!r}])\nexcept SystemExit as exit: print('exit', exit.code)\n"
        "from prefect.settings import get_current_settings\n"
        "heavy = ('spacy', 'py3langid', 'great_expectations', 'onnxruntime', 'claims.extract')\n"
        "print([m for m in heavy if m in sys.modules])\n"
        "print('heartbeats', get_current_settings().flows.heartbeat_frequency)"
    )
    proc = subprocess.run([sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    assert lines[-3:] == ["exit 0", "[]", "heartbeats None"], proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "articles known" in proc.stdout
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT status FROM runs ORDER BY started_at DESC LIMIT 1").fetchone() == ("completed",)
