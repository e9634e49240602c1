"""Several annotators per claim: the resolved verdict and how far annotators agree.

Pure functions over a frame of labels with columns ``claim_id``, ``annotator`` and ``verdict``
(and ``article_id`` for per-article agreement): one row per live, submitted, validated label.
The statistics come from well-kept libraries: crowd-kit (majority vote, Dawid-Skene),
krippendorff (alpha), scikit-learn (Cohen's kappa). crowd-kit is slow to import (~5 s), so it
is imported where it is used.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # pandas is imported by a resolve that runs
    import pandas as pd

MAJORITY_VOTE = "majority_vote"
DAWID_SKENE = "dawid_skene"


@dataclass(frozen=True)
class ResolvePolicy:
    overlap: int = 2  # annotations a claim needs before it is resolved; fewer and it stays open
    min_agreement: float = 0.6  # below this share agreeing with the verdict, a claim needs review
    dawid_skene_min_claims: int = 50  # claims with full overlap before Dawid-Skene replaces the vote


def _crowd(labels: pd.DataFrame) -> pd.DataFrame:
    return labels.rename(columns={"claim_id": "task", "annotator": "worker", "verdict": "label"})[["task", "worker", "label"]]


def resolve(labels: pd.DataFrame, policy: ResolvePolicy = ResolvePolicy()) -> pd.DataFrame:
    """One row per claim: verdict, status (open, resolved, needs_review), method, n_annotations,
    votes, agreement (share of annotations agreeing with the verdict; None with one annotation)
    and review_reason.

    Ties (with either method) and agreement below ``policy.min_agreement`` need review; a tie
    has no verdict, low agreement keeps the resolved one as provisional. Claims with fewer than ``policy.overlap``
    annotations stay open, without a verdict.
    """
    import pandas as pd

    columns = ["claim_id", "verdict", "status", "method", "n_annotations", "votes", "agreement", "review_reason"]
    if labels.empty:
        return pd.DataFrame(columns=columns)
    votes = labels.groupby(["claim_id", "verdict"]).size().rename("n").reset_index()
    per_claim = {
        claim: dict(zip(group["verdict"], group["n"].astype(int)))
        for claim, group in votes.groupby("claim_id", sort=True)
    }
    counts = {claim: sum(v.values()) for claim, v in per_claim.items()}
    complete = [c for c, n in counts.items() if n >= policy.overlap]
    method = DAWID_SKENE if len(complete) >= policy.dawid_skene_min_claims else MAJORITY_VOTE
    resolved = _aggregate(labels[labels["claim_id"].isin(complete)], method)

    rows = []
    for claim, claim_votes in per_claim.items():
        n = counts[claim]
        top = max(claim_votes.values())
        leaders = sorted(v for v, k in claim_votes.items() if k == top)
        verdict, status, reason = None, "open", None
        if n >= policy.overlap:
            verdict = resolved.get(claim)
            if len(leaders) > 1:  # whatever the method: people are split evenly
                verdict, status, reason = None, "needs_review", "tie"
            elif claim_votes.get(verdict, 0) / n < policy.min_agreement:
                status, reason = "needs_review", "low_agreement"
            else:
                status = "resolved"
        # Share of the claim's annotations that agree with the verdict (a verdict nobody gave,
        # which Dawid-Skene can infer, has none); without a verdict, the largest group's share.
        # A single label agrees with nothing: no figure (NULL), not 1.0.
        agreeing = claim_votes.get(verdict, 0) if verdict is not None else top
        rows.append({
            "claim_id": claim, "verdict": verdict, "status": status, "method": method, "n_annotations": n,
            "votes": claim_votes, "agreement": agreeing / n if n >= 2 else None, "review_reason": reason,
        })
    return pd.DataFrame(rows, columns=columns)


def _aggregate(labels: pd.DataFrame, method: str) -> dict[str, str]:
    if labels.empty:
        return {}
    from crowdkit.aggregation import DawidSkene, MajorityVote

    model = DawidSkene(n_iter=100) if method == DAWID_SKENE else MajorityVote()
    return model.fit_predict(_crowd(labels)).to_dict()


def krippendorff_alpha(labels: pd.DataFrame, verdicts: list[str]) -> tuple[float | None, int]:
    """Krippendorff's alpha (nominal) over the claims with at least two annotations, and how
    many claims that is. None when there are none, or when alpha is undefined (every label the
    same verdict)."""
    import krippendorff

    pairable = labels.groupby("claim_id")["annotator"].transform("size") >= 2
    labels = labels[pairable]
    n_claims = labels["claim_id"].nunique()
    if n_claims == 0:
        return None, 0
    codes = {v: i for i, v in enumerate(verdicts)}
    matrix = (
        labels.assign(code=labels["verdict"].map(codes).astype(float))
        .pivot_table(index="annotator", columns="claim_id", values="code", aggfunc="first")
        .to_numpy(dtype=float)
    )
    if len(np.unique(matrix[~np.isnan(matrix)])) < 2:
        return None, n_claims
    alpha = krippendorff.alpha(reliability_data=matrix, level_of_measurement="nominal", value_domain=list(codes.values()))
    return (None if math.isnan(alpha) else float(alpha)), n_claims


def pairwise(labels: pd.DataFrame) -> pd.DataFrame:
    """For every pair of annotators with claims in common: how many, the share with the same
    verdict and Cohen's kappa (None where undefined)."""
    import pandas as pd

    from sklearn.metrics import cohen_kappa_score

    by_annotator = {a: g.set_index("claim_id")["verdict"] for a, g in labels.groupby("annotator")}
    rows = []
    for a, b in combinations(sorted(by_annotator), 2):
        common = by_annotator[a].index.intersection(by_annotator[b].index)
        if common.empty:
            continue
        va, vb = by_annotator[a].loc[common].to_numpy(), by_annotator[b].loc[common].to_numpy()
        kappa = None
        if len(set(va) | set(vb)) > 1:
            value = cohen_kappa_score(va, vb)
            kappa = None if math.isnan(value) else float(value)
        rows.append({"annotator_a": a, "annotator_b": b, "n_common": len(common),
                     "agreement": float((va == vb).mean()), "cohen_kappa": kappa})
    return pd.DataFrame(rows, columns=["annotator_a", "annotator_b", "n_common", "agreement", "cohen_kappa"])
