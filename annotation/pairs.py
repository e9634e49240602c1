"""Claim pairs as Label Studio tasks, and pair annotations as label rows.

All translation between claimflow's pair records and Label Studio's JSON for the pair project
(configs/pair.xml) lives here. Pure functions.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping

from annotation.config import PairControls, pair_controls
from annotation.results import _texts, chosen, common_fields, result_values
from annotation.tasks import QUARANTINE_FIELD, context_html, link_html

RELATION_NAMES = {
    "agree": "agree",
    "contradict": "contradict",
    "unrelated": "unrelated",
    "different_event": "different event or time",
}
# What the reasons' cue names mean to a reader.
CUE_NAMES = {
    "similar_wording": "similar wording",
    "same_topic": "same topic",
    "shared_names": "shared names",
    "antonym": "opposite words",
    "negation_mismatch": "negation",
    "refuting": "refuting words",
    "article_refuting": "the article disputes the report",
    "hedge_mismatch": "hedged against asserted",
    "number_mismatch": "different numbers",
    "date_differs": "different dates",
    "inference": "inference model",
    "different_dates": "different dates",
    "date_unconfirmed": "date only on one side",
}


def source_html(title_source: str | None, published_at, url: str | None) -> str:
    """The source, the date and the article's link (a real link only for http and https), escaped."""
    parts = [html.escape(title_source or "source unknown")]
    if published_at:
        parts.append(html.escape(str(published_at)[:10]))
    if url:
        parts.append(link_html(url))
    return " · ".join(parts)


def reasons_html(reasons: list[Mapping], similarity: float, contradiction: float) -> str:
    """The model's scores and its reasons, as an escaped HTML list."""
    items = "".join(
        f"<li><b>{html.escape(CUE_NAMES.get(r.get('cue', ''), str(r.get('cue', ''))))}</b>: {html.escape(str(r.get('detail', '')))}</li>"
        for r in reasons
    )
    return (
        f"<p>similarity <b>{similarity:.2f}</b> · may contradict <b>{contradiction:.2f}</b></p>"
        + (f"<ul>{items}</ul>" if items else "")
    )


REVIEW_FIELD = "review"


def pair_task(row: Mapping, *, controls: PairControls | None = None) -> dict:
    """One task for one pair row (of warehouse/sql/queries/pairs_to_push.sql): both claims side by side,
    each with its context, article title, source and date; the model's relation as a
    prediction carrying the matcher's version."""
    controls = controls or pair_controls()
    reasons = row["reasons"]
    reasons = json.loads(reasons) if isinstance(reasons, str) else list(reasons or [])
    data = {"pair_id": row["pair_id"], "similarity": round(float(row["similarity"]), 4),
            "contradiction": round(float(row["contradiction"]), 4),
            "reasons_html": reasons_html(reasons, float(row["similarity"]), float(row["contradiction"])),
            REVIEW_FIELD: "", QUARANTINE_FIELD: ""}
    for side in ("a", "b"):
        data[f"claim_id_{side}"] = row[f"{side}_claim_id"]
        data[f"claim_{side}"] = row[f"{side}_claim"]
        data[f"{side}_title"] = row.get(f"{side}_title") or "(untitled article)"
        data[f"{side}_source_html"] = source_html(row.get(f"{side}_source"), row.get(f"{side}_published_at"), row.get(f"{side}_url"))
        data[f"{side}_context_html"] = context_html(row[f"{side}_context"], row[f"{side}_start"], row[f"{side}_end"])
    relation = row["relation"] if row["relation"] in controls.relations else "unrelated"
    c = controls.relation
    return {
        "data": data,
        "predictions": [{
            "model_version": row["matcher"],
            "score": round(float(row["contradiction"]), 4),
            "result": [{"from_name": c.name, "to_name": c.to_name, "type": c.result_type, "value": {"choices": [relation]}}],
        }],
    }


PAIR_LABEL_FIELDS = (
    "annotation_id", "task_id", "project_id", "pair_id", "annotator_id", "annotator", "relation", "rationale",
    "lead_time", "created_at", "updated_at", "was_cancelled",
)


def flatten_pair(
    annotation: Mapping,
    *,
    pair_id: str | None,
    users: Mapping[int, str] | None = None,
    controls: PairControls | None = None,
    task_id: int | None = None,
    project_id: int | None = None,
) -> dict:
    """One pair label row from one annotation of a pair task (see annotation.results.flatten:
    the same rules for what is malformed)."""
    controls = controls or pair_controls()
    by_name = result_values(annotation)
    rationale = "\n".join(_texts(by_name.get(controls.rationale.name), "text")).strip()
    return common_fields(annotation, users=users, task_id=task_id, project_id=project_id) | {
        "pair_id": pair_id,
        # Kept as given: the pair_labels suite decides what is a valid relation.
        "relation": chosen(by_name.get(controls.relation.name)),
        "rationale": rationale or None,
    }


def pair_result(*, relation: str | None, rationale: str | None = None, controls: PairControls | None = None) -> list[dict]:
    """The ``result`` list Label Studio stores for a pair annotation (tests, scripted annotators)."""
    controls = controls or pair_controls()
    out = []
    if relation is not None:
        c = controls.relation
        out.append({"from_name": c.name, "to_name": c.to_name, "type": c.result_type, "value": {"choices": [relation]}})
    if rationale:
        c = controls.rationale
        out.append({"from_name": c.name, "to_name": c.to_name, "type": c.result_type, "value": {"text": [rationale]}})
    return out
