"""The morning flow: the desk's morning list of a day (by default today, on this machine's clock),
kept in table morning_list and written as an HTML page beside the report."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from prefect import flow

from flows.runs import this_run
from warehouse import morning
from warehouse.annotations import now
from warehouse.db import writing


@dataclass
class MorningReport:
    run_id: str
    day: str = ""
    claims: int = 0
    stories: int = 0
    checked_before: int = 0
    says_otherwise: int = 0
    page: str = ""
    seconds: float = 0.0

    def counts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("run_id", "seconds")}


@flow(name="morning")
def morning_flow(db: str | None = None, report_dir: str | None = None, day: str | None = None) -> MorningReport:
    """Make the morning list of ``day`` (YYYY-MM-DD; default today): the claims of the articles
    ingested that day, most check-worthy first, grouped by story; write it to table morning_list
    (replacing that day's) and to ``report_dir``/morning-<day>.html and ``report_dir``/morning.html
    (default: CLAIMFLOW_REPORT_DIR)."""
    run = this_run("morning", db=db)
    settings = run.settings
    the_day = date.fromisoformat(day) if day else now().date()
    report = MorningReport(run_id=run.id, day=the_day.isoformat())
    with run.recorded(report, {"day": report.day}):
        at = now()

        def make_list(con) -> list[dict]:  # read and stored again whole if a DuckLake commit conflicts
            candidates = morning.candidates(con, the_day, threshold=settings.push_threshold, limit=settings.morning_claims,
                                            min_checked=settings.factcheck_min_score, may_contradict=settings.pair_push_threshold)
            rows = morning.build_list(candidates, morning.related_pairs(con), the_day)
            morning.store(con, the_day, rows, at, run.id)
            return rows

        rows = writing(run.db, make_list, "storing the morning list")
        folder = Path(report_dir or settings.report_dir)
        folder.mkdir(parents=True, exist_ok=True)
        page = morning.render(the_day, rows, at)
        dated = folder / f"morning-{the_day.isoformat()}.html"
        dated.write_text(page, encoding="utf-8")
        (folder / "morning.html").write_text(page, encoding="utf-8")
        report.claims, report.stories = len(rows), len({r["story"] for r in rows})
        report.checked_before = sum(1 for r in rows if r.get("checked_rating"))
        report.says_otherwise = sum(1 for r in rows if r.get("says_otherwise"))
        report.page = str(dated)
    return report
