"""The rescore flow: every claim in the warehouse scored again with the configured scorer (after
`claimflow train`, say). Claims already pushed keep their task; the scores of claims not yet
pushed decide what the next push sends."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pyarrow as pa
from prefect import flow

from claims.extract import scoring
from claims.score import Features
from flows.runs import this_run
from warehouse import load
from warehouse.db import connection, writing


@dataclass
class RescoreReport:
    run_id: str
    scorer: str = ""
    claims: int = 0
    changed: int = 0

    def counts(self) -> dict:
        return {"scorer": self.scorer, "claims": self.claims, "changed": self.changed}


@flow(name="rescore")
def rescore_flow(db: str | None = None, scorer: str | None = None) -> RescoreReport:
    """Score every claim again with ``scorer`` (default: CLAIMFLOW_SCORER) and store the new scores."""
    run = this_run("rescore", db=db, scorer=scorer)
    report = RescoreReport(run_id=run.id)
    with run.recorded(report, {"scorer": run.settings.scorer}):
        with connection(run.db) as con:
            rows = load.claims_to_rescore(con)
        fields = set(Features.__dataclass_fields__)
        feats = [Features(**{k: v for k, v in json.loads(f).items() if k in fields}) for _, _, f in rows]
        scores, report.scorer = scoring(run.settings.scorer)([t for _, t, _ in rows], feats)
        batch = pa.table({"claim_id": [r[0] for r in rows], "score": pa.array(scores, pa.float64()),
                          "scorer": [report.scorer] * len(rows)})
        report.changed = writing(run.db, lambda con: load.update_scores(con, batch), "storing the new scores")
        report.claims = len(rows)
    return report
