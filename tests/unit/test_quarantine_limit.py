"""One typo does not fail a whole land: the share limit needs a minimum of newly quarantined
rows (CLAIMFLOW_QUARANTINE_MIN_ROWS), and every quarantined row is named with its task, field
and value."""

import pytest

from tests.conftest import SAMPLES


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
