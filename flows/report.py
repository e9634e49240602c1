"""The report flow: the analysts' HTML report and the Great Expectations data docs, in one folder."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from expectations.docs import build_data_docs, validation_pages
from expectations.labels import label_frame
from flows.settings import get_settings
from warehouse.db import connection
from warehouse.report import docs_batches, render, report_data


@dataclass
class ReportOutput:
    page: Path
    data_docs: Path


@task(cache_policy=NO_CACHE)
def data_docs(db: str, out: Path) -> Path:
    """Validate the warehouse's claims, live labels and verdicts against their suites, into data docs."""
    with connection(db, read_only=True) as con:
        batches = docs_batches(con)
    batches["labels"] = label_frame(batches["labels"].to_dict("records"))
    return build_data_docs(out, batches)


@flow(name="report")
def report_flow(out: str, db: str | None = None) -> ReportOutput:
    """Write ``out``/index.html (tables and charts) and the data docs beside it."""
    settings = get_settings(db=db)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    with connection(settings.db):
        pass  # a write connection brings the schema and the views up to date before reading
    docs = data_docs(str(settings.db), folder)
    with connection(settings.db, read_only=True) as con:
        data = report_data(con)
    page = folder / "index.html"
    links = {"index": str(docs.relative_to(folder))} | {
        name: str(path.relative_to(folder)) for name, path in validation_pages(docs).items()
    }
    page.write_text(render(data, data_docs=links), encoding="utf-8")
    return ReportOutput(page=page, data_docs=docs)
