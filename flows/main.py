"""The main job: ingest articles, push check-worthy claims to Label Studio, land the annotations."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow

from flows.ingest import IngestReport, ingest_flow
from flows.land import LandReport, land_flow
from flows.push import PushReport, push_flow


@dataclass
class RunReport:
    ingest: IngestReport
    push: PushReport
    land: LandReport


@flow(name="claimflow-run")
def run_flow(paths: list[str], db: str | None = None, spacy_model: str | None = None) -> RunReport:
    """Ingest, push and land, in that order; one flow run with three subflow runs."""
    ingested = ingest_flow(paths=paths, db=db, spacy_model=spacy_model)
    pushed = push_flow(db=db)
    landed = land_flow(db=db)
    return RunReport(ingested, pushed, landed)
