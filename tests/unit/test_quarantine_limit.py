"""One typo does not fail a whole land: the share limit needs a minimum of newly quarantined
rows (CLAIMFLOW_QUARANTINE_MIN_ROWS), and every quarantined row is named with its task, field
and value."""

import re

import pytest

from tests.conftest import SAMPLES
from warehouse.db import connection


@pytest.mark.parametrize(
    ("quarantined", "validated", "min_rows", "fails"),
    [(1, 1, 10, False), (9, 9, 10, False), (10, 20, 10, True), (5, 100, 10, False), (1, 1, 0, True), (1, 1, 1, True), (0, 0, 0, False)],
)
def test_the_share_limit_trips_only_from_the_minimum_number_of_rows(quarantined, validated, min_rows, fails):
    from flows.land import LandReport, over_quarantine_limit
    from flows.settings import get_settings

    report = LandReport(run_id="r", url="u", validated=validated, quarantined=quarantined)
    assert over_quarantine_limit(report, get_settings(quarantine_min_rows=min_rows, max_quarantine_share=0.25)) is fails


def test_a_failure_is_described_by_task_field_and_value():
    from expectations.labels import describe_failure

    row = {"annotation_id": 34, "task_id": 12, "evidence_urls": ["I", "read", "it"], "confidence": 9}
    line = describe_failure(row, ["evidence_urls_well_formed", "confidence_in_range"])
    assert line == ("task 12, annotation 34: evidence_urls ['I', 'read', 'it'] fails evidence_urls_well_formed; "
                    "confidence 9 fails confidence_in_range")


@pytest.mark.integration
@pytest.mark.usefixtures("prefect_server")
def test_a_land_of_one_annotation_with_a_sentence_as_evidence_succeeds_and_names_it(ingested, ls_client, db_path):
    from typer.testing import CliRunner

    from annotation.results import annotation_result
    from flows.cli import app
    from flows.push import push_flow

    push_flow()
    with connection(db_path, read_only=True) as con:
        (task_id,) = con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 1").fetchone()
    dee = ls_client.ensure_user("dee.limit@desk.example")
    annotation = ls_client.annotate(
        task_id, annotation_result(verdict="supported", confidence=4, evidence=["I read it in the paper"]), user=dee)

    result = CliRunner().invoke(app, ["land"])
    assert result.exit_code == 0, result.output
    expected = (f"quarantined: task {task_id}, annotation {annotation}: evidence_urls ['I', 'read', 'it', 'in', 'the', "
                "'paper'] fails evidence_urls_well_formed")
    assert expected in " ".join(result.output.split())
    assert re.search(r"quarantined\s+│\s+1\s", result.output)
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT status FROM runs WHERE flow = 'land'").fetchone()[0] == "completed"
        assert con.execute("SELECT count(*) FROM labels_quarantine").fetchone()[0] == 1
