"""The pair loop against a real Label Studio, Prefect and DuckDB: candidate contradictions are
pushed once each to the pair project (reconciled after a crash), two people judge a pair, the
labels land through the pair_labels suite (malformed ones quarantined), and each pair gets a
resolved relation; a claim task shows what other articles say."""

import json

import pytest

from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

# Below the default (0.5), which two sample pairs reach: these tests need several pair tasks.
PAIR_THRESHOLD = 0.25


@pytest.fixture(autouse=True)
def pair_threshold(monkeypatch):
    monkeypatch.setenv("CLAIMFLOW_PAIR_PUSH_THRESHOLD", str(PAIR_THRESHOLD))


def pair_tasks(db_path):
    with connection(db_path, read_only=True) as con:
        return con.execute("SELECT pair_id, task_id, project_id FROM pair_tasks ORDER BY task_id").fetchall()


def test_candidate_contradictions_are_pushed_once_each_with_both_claims_and_the_model_relation(matched, ls_client, db_path):
    from flows.push import push_flow

    first = push_flow()
    with connection(db_path, read_only=True) as con:
        expected = con.execute("SELECT count(*) FROM claim_pairs WHERE contradiction >= ?", [PAIR_THRESHOLD]).fetchone()[0]
    assert first.pairs is not None and first.pairs.created == first.pairs.candidates == expected > 0
    second = push_flow()
    assert (second.pairs.created, second.pairs.candidates, second.pairs.already) == (0, 0, expected)
    project = first.pairs.project_id
    assert project != first.project_id and ls_client.project_task_count(project) == expected
    task = next(iter(ls_client.sdk.tasks.list(project=project, fields="all", page_size=1)))
    data = task.data
    assert data["claim_a"] and data["claim_b"] and "<mark>" in data["a_context_html"] and "<mark>" in data["b_context_html"]
    assert data["a_title"] != data["b_title"] and "may contradict" in data["reasons_html"]
    prediction = task.predictions[0]
    assert prediction.model_version.startswith("matcher-")
    assert prediction.result[0]["value"]["choices"][0] in ("agree", "contradict", "unrelated", "different_event")
    with connection(db_path, read_only=True) as con:
        top = con.execute("SELECT pair_id FROM claim_pairs ORDER BY contradiction DESC LIMIT 1").fetchone()[0]
        pushed = {p for p, _, _ in pair_tasks(db_path)}
    assert top in pushed


def test_a_pair_push_that_died_after_the_import_is_reconciled_without_duplicates(matched, ls_client, db_path):
    from annotation.pairs import pair_task
    from flows.kinds import PAIR
    from flows.labelstudio import resolve_target
    from flows.push import open_project, push_flow
    from flows.settings import get_settings
    from warehouse import annotations as store

    settings = get_settings()
    target = resolve_target(settings, start=False)
    project = open_project.fn(target, settings.ls_pair_project, kind=PAIR)
    with connection(db_path) as con:
        rows = store.pairs_to_push(con, target.url, project, settings.pair_push_threshold)
    ls_client.import_tasks(project, [pair_task(r) for r in rows[:3]])  # accepted, then the push died
    report = push_flow()
    assert (report.pairs.reconciled, report.pairs.created) == (3, len(rows) - 3)
    ids = [t.data["pair_id"] for t in ls_client.sdk.tasks.list(project=project, include="id,data", page_size=500)]
    assert len(ids) == len(set(ids)) == len(rows)


def test_two_people_judge_a_pair_their_labels_land_and_the_pair_resolves(matched, ls_client, db_path):
    from annotation.pairs import pair_result
    from flows.land import land_flow
    from flows.push import push_flow

    push_flow()
    (pair_id, task_id, project), (other_pair, other_task, _) = pair_tasks(db_path)[:2]
    ana, ben = ls_client.ensure_user("ana@desk.example"), ls_client.ensure_user("ben@desk.example")
    ls_client.annotate(task_id, pair_result(relation="contradict", rationale="Unity against divides."), user=ana, lead_time=20.0)
    ls_client.annotate(task_id, pair_result(relation="contradict"), user=ben, lead_time=9.0)
    ls_client.annotate(other_task, pair_result(relation="agree"), user=ana)
    ls_client.annotate(other_task, pair_result(relation="different_event"), user=ben)

    report = land_flow()
    assert report.pairs is not None and (report.pairs.labels_new, report.pairs.quarantined) == (4, 0)
    assert report.verdicts.pairs_resolved == 1 and report.verdicts.pairs_needs_review == 1
    with connection(db_path, read_only=True) as con:
        labels = con.execute("SELECT annotator, relation, rationale FROM pair_labels WHERE pair_id = ? ORDER BY annotator",
                             [pair_id]).fetchall()
        verdict = con.execute("SELECT relation, status, n_annotations FROM pair_verdicts WHERE pair_id = ?", [pair_id]).fetchone()
        tied = con.execute("SELECT relation, status, review_reason FROM pair_verdicts WHERE pair_id = ?", [other_pair]).fetchone()
        confirmed = [r[0] for r in con.execute("SELECT pair_id FROM confirmed_contradictions").fetchall()]
        matrix = con.execute("SELECT sum(contradict), sum(resolved) FROM source_matrix").fetchone()
        raw = con.execute("SELECT count(*) FROM annotations_raw WHERE project_id = ?", [project]).fetchone()[0]
        alpha = con.execute("SELECT n_claims FROM agreement WHERE scope = 'pair_project'").fetchone()
        claim_labels = con.execute("SELECT count(*) FROM labels").fetchone()[0]
    assert labels == [("ana@desk.example", "contradict", "Unity against divides."), ("ben@desk.example", "contradict", None)]
    assert verdict == ("contradict", "resolved", 2) and tied == (None, "needs_review", "tie")
    assert confirmed == [pair_id] and matrix == (1, 1)
    assert raw == 4 and alpha == (2,) and claim_labels == 0
    again = land_flow()
    assert (again.pairs.annotations_pulled, again.pairs.labels_new) == (0, 0)

    # The resolved relation becomes a training example for the matcher (the tied pair does not).
    from flows.match import human_pair_examples
    from flows.settings import get_settings

    from claims.match import CONTRADICTION_FEATURES, SIMILARITY_FEATURES

    similar, contradicting = human_pair_examples(str(db_path), get_settings())
    assert list(similar.y) == [True] and list(contradicting.y) == [True]
    assert similar.X.shape == (1, len(SIMILARITY_FEATURES)) and contradicting.X.shape == (1, len(CONTRADICTION_FEATURES))


def test_malformed_pair_annotations_are_quarantined_with_their_reasons(matched, ls_client, db_path):
    from annotation.pairs import pair_result
    from flows.land import land_flow
    from flows.push import push_flow

    push_flow()
    tasks = pair_tasks(db_path)
    cleo = ls_client.ensure_user("cleo@desk.example")
    ls_client.annotate(tasks[0][1], pair_result(relation="maybe"), user=cleo)
    ls_client.annotate(tasks[1][1], pair_result(relation=None, rationale="Forgot the relation."), user=cleo)
    for _, task, _ in tasks[2:9]:
        ls_client.annotate(task, pair_result(relation="unrelated"), user=cleo)

    report = land_flow()
    assert len(tasks) >= 3 and (report.pairs.labels_new, report.pairs.quarantined) == (len(tasks[2:9]), 2)
    with connection(db_path, read_only=True) as con:
        rows = con.execute("SELECT pair_id, claim_id, reasons, payload FROM labels_quarantine ORDER BY task_id").fetchall()
    assert {r[0] for r in rows} == {tasks[0][0], tasks[1][0]} and all(r[1] is None for r in rows)
    assert [r[2] for r in rows] == [["relation_allowed"], ["relation_present"]]
    assert json.loads(rows[0][3])["result"][0]["value"]["choices"] == ["maybe"]


def test_a_claim_task_shows_what_other_articles_say_of_it(matched, ls_client, db_path):
    from flows.push import push_flow

    project = push_flow().project_id
    with connection(db_path, read_only=True) as con:
        claim_id, other, contradiction = con.execute(
            "SELECT t.claim_id, p.claim_b, p.contradiction FROM tasks t JOIN pair_overview p ON p.claim_id_a = t.claim_id"
            " WHERE t.project_id = ? ORDER BY p.contradiction DESC LIMIT 1", [project]
        ).fetchone()
        (task_id,) = con.execute("SELECT task_id FROM tasks WHERE claim_id = ? AND project_id = ?", [claim_id, project]).fetchone()
    import html as markup

    shown = markup.unescape(ls_client.sdk.tasks.get(id=str(task_id)).data["matches_html"])
    assert other in shown  # the likeliest contradiction is shown first, whatever its similarity
    assert ("may contradict" in shown) == (contradiction >= PAIR_THRESHOLD)


def test_a_claim_task_pushed_before_a_contradicting_article_arrived_is_shown_it_later(matched, ls_client, db_path, tmp_path):
    import html as markup

    from flows.ingest import ingest_flow
    from flows.match import match_flow
    from flows.push import push_flow

    first = push_flow()
    assert first.matches_updated == 0  # every task was pushed with the matches it has
    article = tmp_path / "later.txt"
    article.write_text(
        "Allies split at Munich\n"
        "The Munich Security Conference revealed deep divides between Western allies on sanctions and security commitments.\n",
        encoding="utf-8",
    )
    assert ingest_flow(paths=[str(article)]).articles_new == 1
    assert match_flow().pairs_new > 0
    again = push_flow()
    assert again.matches_updated > 0
    with connection(db_path, read_only=True) as con:
        tasks = [t for (t,) in con.execute(
            "SELECT DISTINCT t.task_id FROM tasks t JOIN pair_overview p ON t.claim_id IN (p.claim_id_a, p.claim_id_b)"
            " WHERE t.project_id = ? AND 'Allies split at Munich' IN (p.article_a, p.article_b)", [first.project_id]
        ).fetchall()]
    shown = [markup.unescape(ls_client.sdk.tasks.get(id=str(t)).data["matches_html"]) for t in tasks]
    assert tasks and any("Allies split at Munich" in html for html in shown)
    assert push_flow().matches_updated == 0  # nothing changed since
