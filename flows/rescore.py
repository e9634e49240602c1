"""The rescore flow: every claim in the warehouse scored again with the configured scorer (after
`claimflow train`, say). Claims already pushed keep their task; the scores of claims not yet
pushed decide what the next push sends."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from claims.extract import scoring
from claims.score import Features
from flows.runs import recorded_run
from flows.settings import get_settings
from warehouse import quality
from warehouse.db import connection


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
    import json

    settings = get_settings(db=db, scorer=scorer)
    report = RescoreReport(run_id=str(flow_run.id))
    with recorded_run(settings.db, report.run_id, "rescore", {"scorer": settings.scorer}, report):
        with connection(settings.db) as con:
            rows = quality.claims_to_rescore(con)
        fields = set(Features.__dataclass_fields__)
        feats = [Features(**{k: v for k, v in json.loads(f).items() if k in fields}) for _, _, f in rows]
        scores, report.scorer = scoring(settings.scorer)([t for _, t, _ in rows], feats)
        batch = pa.table({"claim_id": [r[0] for r in rows], "score": pa.array(scores, pa.float64()),
                          "scorer": [report.scorer] * len(rows)})
        with connection(settings.db) as con:
            report.changed = quality.update_scores(con, batch)
        report.claims = len(rows)
    get_run_logger().info("rescore completed: %s", report.counts())
    return report
