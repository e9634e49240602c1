"""Annotators keep working while a land runs: against a real Label Studio, annotations saved while
the first land's export runs (thousands of tasks: seconds) all land, and an annotation the
warehouse misses for any reason is found by comparing counts and landed."""

import threading
import time

import pytest

from warehouse.db import connection

pytestmark = pytest.mark.usefixtures("prefect_server")

FILLER_TASKS = 6000  # tasks without annotations that make the first export run for seconds
USERS = ("race.ann@desk.example", "race.ben@desk.example", "race.cleo@desk.example")


def annotation_ids_in_label_studio(client, project: int) -> set[int]:
    tasks, _ = client.changed_tasks(project, None)
    return {a["id"] for t in tasks for a in t["annotations"]}


def annotation_ids_in_warehouse(db_path) -> set[int]:
    with connection(db_path, read_only=True) as con:
        rows = con.execute(
            "SELECT annotation_id FROM labels WHERE NOT deleted UNION "
            "SELECT annotation_id FROM labels_quarantine WHERE resolved_at IS NULL AND annotation_id IS NOT NULL"
        ).fetchall()
    return {a for (a,) in rows}


class Annotators(threading.Thread):
    """Three people submitting a verdict on one task after another, through the API, until stopped."""

    def __init__(self, url: str, token: str, task_ids: list[int]):
        super().__init__(name="race-annotators", daemon=True)
        from tests.helpers import ScriptedClient

        self.client = ScriptedClient(url, token)
        self.users = [self.client.ensure_user(email) for email in USERS]
        self.todo = [(task, user) for user in self.users for task in task_ids]
        self.made: list[tuple[int, float]] = []  # (annotation id, when its create call returned)
        self.stopped = threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        from annotation.results import annotation_result

        try:
            for task, user in self.todo:
                if self.stopped.is_set():
                    return
                made = self.client.annotate(task, annotation_result(verdict="supported", confidence=3), user=user)
                self.made.append((made, time.monotonic()))
                time.sleep(0.05)
        except BaseException as err:  # raised in the test
            self.error = err
        finally:
            self.client.close()

    def stop(self) -> None:
        self.stopped.set()
        self.join(120)
        if self.error is not None:
            raise self.error


@pytest.mark.slow
def test_annotations_saved_while_the_first_land_exports_all_land(ingested, ls_env, ls_client, db_path):
    from flows.land import land_flow
    from flows.push import push_flow

    project = push_flow().project_id
    with connection(db_path, read_only=True) as con:
        task_ids = [t for (t,) in con.execute("SELECT task_id FROM tasks ORDER BY task_id").fetchall()]
    filler = {"claim": "Filler.", "article_title": "", "source_html": "", "context_html": "x" * 400, "matches_html": "", "quarantine_html": ""}
    for start in range(0, FILLER_TASKS, 2000):
        ls_client.import_tasks(project, [{"data": filler} for _ in range(2000)])

    annotators = Annotators(ls_env.url, ls_env.credentials().token, task_ids)
    annotators.start()
    time.sleep(1)  # they are at work when the land starts
    began = time.monotonic()
    first = land_flow(resolve=False)
    ended = time.monotonic()
    annotators.stop()
    during = {a for a, at in annotators.made if began < at < ended}
    assert len(during) >= 10, "the annotators saved too little while the land ran for this to test anything"
    assert during - annotation_ids_in_warehouse(db_path), "every annotation saved during the land landed in it: no race"

    later = [land_flow(resolve=False), land_flow(resolve=False)]
    in_label_studio = annotation_ids_in_label_studio(ls_client, project)
    assert {a for a, _ in annotators.made} <= in_label_studio
    assert annotation_ids_in_warehouse(db_path) == in_label_studio
    # The watermark alone brought them (nothing needed recovering), and the last land found nothing new.
    assert [r.annotations_recovered for r in [first, *later]] == [0, 0, 0]
    assert later[-1].annotations_pulled == 0


def test_an_annotation_no_pull_brought_is_found_by_its_tasks_count_and_landed(ingested, ls_env, ls_client, db_path):
    from annotation.results import annotation_result
    from flows.land import land_flow
    from flows.push import push_flow

    project = push_flow().project_id
    with connection(db_path, read_only=True) as con:
        first_task, second_task = [t for (t,) in con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 2").fetchall()]
    user = ls_client.ensure_user("missed.once@desk.example")
    kept = ls_client.annotate(first_task, annotation_result(verdict="supported", confidence=4), user=user)
    lost = ls_client.annotate(second_task, annotation_result(verdict="refuted", confidence=2), user=user)
    assert land_flow(resolve=False).labels_new == 2

    # As a pull racing an annotator leaves it: the warehouse lacks the annotation, and its task
    # was last updated before the point the next pull starts from.
    time.sleep(3)
    with connection(db_path) as con:
        con.execute("DELETE FROM labels WHERE annotation_id = ?", [lost])
        con.execute("UPDATE land_watermarks SET updated_at = ?", [ls_client.server_time()])
    assert annotation_ids_in_warehouse(db_path) == {kept}

    report = land_flow(resolve=False)
    assert (report.annotations_recovered, report.labels_new, report.tasks_changed) == (1, 1, 1)
    assert annotation_ids_in_warehouse(db_path) == {kept, lost}
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT verdict FROM labels WHERE annotation_id = ?", [lost]).fetchone() == ("refuted",)
    again = land_flow(resolve=False)
    assert (again.annotations_recovered, again.annotations_pulled) == (0, 0)
