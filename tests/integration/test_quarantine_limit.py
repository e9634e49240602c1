"""A land of one annotation whose evidence is a link of another scheme, against the real Label
Studio: it succeeds, and names the row it quarantined."""

import re

import pytest

from warehouse.db import connection


@pytest.mark.usefixtures("prefect_server")
def test_a_land_of_one_annotation_with_an_ftp_link_as_evidence_succeeds_and_names_it(ingested, ls_client, db_path):
    from typer.testing import CliRunner

    from annotation.results import annotation_result
    from flows.cli import app
    from flows.push import push_flow

    push_flow()
    with connection(db_path, read_only=True) as con:
        (task_id,) = con.execute("SELECT task_id FROM tasks ORDER BY task_id LIMIT 1").fetchone()
    dee = ls_client.ensure_user("dee.limit@desk.example")
    annotation = ls_client.annotate(
        task_id, annotation_result(verdict="supported", confidence=4, evidence=["ftp://example.org/paper"]), user=dee)

    result = CliRunner().invoke(app, ["land"])
    assert result.exit_code == 0, result.output
    expected = (f"quarantined: task {task_id}, annotation {annotation}: evidence_urls ['ftp://example.org/paper'] "
                "fails evidence_urls_well_formed")
    assert expected in " ".join(result.output.split())
    assert re.search(r"quarantined\s+│\s+1\s", result.output)
    with connection(db_path, read_only=True) as con:
        assert con.execute("SELECT status FROM runs WHERE flow = 'land'").fetchone()[0] == "completed"
        assert con.execute("SELECT count(*) FROM labels_quarantine").fetchone()[0] == 1
