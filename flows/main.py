"""The main job: ingest articles, match their claims across articles, push check-worthy claims
and candidate contradictions to Label Studio, land the annotations."""

from __future__ import annotations

from dataclasses import dataclass

from prefect import flow

from flows.ingest import IngestReport, ingest_flow
from flows.land import LandReport, land_flow
from flows.match import MatchReport, match_flow
from flows.push import PushReport, push_flow


@dataclass
class RunReport:
    ingest: IngestReport
    match: MatchReport
    push: PushReport
    land: LandReport


@flow(name="claimflow-run")
def run_flow(paths: list[str], db: str | None = None, spacy_model: str | None = None) -> RunReport:
    """Ingest, match, push and land, in that order; one flow run with four subflow runs."""
    ingested = ingest_flow(paths=paths, db=db, spacy_model=spacy_model)
    matched = match_flow(db=db)
    pushed = push_flow(db=db)
    landed = land_flow(db=db)
    return RunReport(ingested, matched, pushed, landed)
