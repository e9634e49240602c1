"""Verdict resolution and agreement: pure functions over label frames."""

import math

import pandas as pd
import pytest

from annotation.agreement import ResolvePolicy, krippendorff_alpha, pairwise, resolve

VERDICTS = ["supported", "refuted", "misleading", "not_enough_info", "not_checkable"]


def frame(rows):
    return pd.DataFrame(rows, columns=["claim_id", "annotator", "verdict"])


LABELS = frame([
    ("agree", "ana", "supported"), ("agree", "ben", "supported"),
    ("tie", "ana", "refuted"), ("tie", "ben", "supported"),
    ("two_of_three", "ana", "refuted"), ("two_of_three", "ben", "refuted"), ("two_of_three", "cleo", "misleading"),
    ("alone", "ana", "supported"),
])


def by_claim(verdicts):
    rows = verdicts.set_index("claim_id").to_dict("index")
    return {c: {k: (None if not isinstance(x, dict) and pd.isna(x) else x) for k, x in r.items()} for c, r in rows.items()}


def test_majority_vote_resolves_agreement_flags_ties_and_keeps_single_labels_open():
    v = by_claim(resolve(LABELS, ResolvePolicy(overlap=2)))
    assert (v["agree"]["verdict"], v["agree"]["status"], v["agree"]["agreement"]) == ("supported", "resolved", 1.0)
    assert (v["tie"]["verdict"], v["tie"]["status"], v["tie"]["review_reason"]) == (None, "needs_review", "tie")
    assert (v["two_of_three"]["verdict"], v["two_of_three"]["status"]) == ("refuted", "resolved")
    assert v["two_of_three"]["votes"] == {"refuted": 2, "misleading": 1}
    assert (v["alone"]["verdict"], v["alone"]["status"], v["alone"]["n_annotations"]) == (None, "open", 1)
    assert {x["method"] for x in v.values()} == {"majority_vote"}


def test_low_agreement_needs_review_but_keeps_a_provisional_verdict():
    v = by_claim(resolve(LABELS, ResolvePolicy(overlap=2, min_agreement=0.7)))
    assert (v["two_of_three"]["verdict"], v["two_of_three"]["status"], v["two_of_three"]["review_reason"]) == (
        "refuted", "needs_review", "low_agreement")


def test_a_higher_overlap_keeps_more_claims_open():
    v = by_claim(resolve(LABELS, ResolvePolicy(overlap=3)))
    assert v["agree"]["status"] == "open" and v["two_of_three"]["status"] == "resolved"


def test_dawid_skene_takes_over_with_enough_claims_and_trusts_the_reliable_annotator():
    import random

    rng, rows = random.Random(0), []
    for i in range(60):  # ana and ben always agree with the truth; cleo and dan answer at random
        truth = VERDICTS[i % 3]
        rows += [(f"c{i}", "ana", truth), (f"c{i}", "ben", truth),
                 (f"c{i}", "cleo", rng.choice(VERDICTS)), (f"c{i}", "dan", rng.choice(VERDICTS))]
    rows += [("outvoted", "ana", "refuted"), ("outvoted", "cleo", "supported"), ("outvoted", "dan", "supported")]
    rows += [("split", "ana", "refuted"), ("split", "cleo", "supported")]
    v = by_claim(resolve(frame(rows), ResolvePolicy(overlap=2, dawid_skene_min_claims=50)))
    assert {x["method"] for x in v.values()} == {"dawid_skene"}
    # The vote would say "supported"; Dawid-Skene trusts ana. One of three agrees: review it.
    assert (v["outvoted"]["verdict"], v["outvoted"]["status"], v["outvoted"]["review_reason"]) == (
        "refuted", "needs_review", "low_agreement")
    assert v["outvoted"]["agreement"] == pytest.approx(1 / 3)
    assert (v["split"]["verdict"], v["split"]["status"], v["split"]["review_reason"]) == (None, "needs_review", "tie")
    assert sum(v[f"c{i}"]["verdict"] == VERDICTS[i % 3] for i in range(60)) >= 50  # ties among the four aside


def test_the_agreement_of_a_verdict_nobody_gave_is_zero(monkeypatch):
    import annotation.agreement as agreement

    monkeypatch.setattr(agreement, "_aggregate", lambda labels, method: {"c": "misleading"})
    v = by_claim(resolve(frame([("c", "ana", "refuted"), ("c", "ben", "refuted")])))
    assert (v["c"]["verdict"], v["c"]["agreement"], v["c"]["status"]) == ("misleading", 0.0, "needs_review")


def test_empty_labels_give_no_verdicts():
    assert resolve(frame([])).empty


def test_krippendorff_alpha_is_one_for_perfect_agreement_and_counts_pairable_claims():
    perfect = frame([("a", "x", "supported"), ("a", "y", "supported"), ("b", "x", "refuted"), ("b", "y", "refuted"), ("c", "x", "refuted")])
    assert krippendorff_alpha(perfect, VERDICTS) == (1.0, 2)
    alpha, n = krippendorff_alpha(LABELS, VERDICTS)
    assert n == 3 and alpha == pytest.approx(0.2)
    assert krippendorff_alpha(frame([("a", "x", "supported")]), VERDICTS) == (None, 0)
    assert krippendorff_alpha(frame([("a", "x", "supported"), ("a", "y", "supported")]), VERDICTS) == (None, 1)


def test_pairwise_agreement_and_kappa():
    pairs = pairwise(LABELS).set_index(["annotator_a", "annotator_b"]).to_dict("index")
    assert pairs[("ana", "ben")]["n_common"] == 3
    assert pairs[("ana", "ben")]["agreement"] == pytest.approx(2 / 3)
    assert pairs[("ana", "ben")]["cohen_kappa"] == pytest.approx(0.4)
    assert pairs[("ana", "cleo")]["n_common"] == 1 and pairs[("ana", "cleo")]["agreement"] == 0.0
    same = pairwise(frame([("a", "x", "supported"), ("a", "y", "supported")]))
    assert same["cohen_kappa"].isna().all() and same["agreement"].tolist() == [1.0]


def test_a_claim_with_a_single_label_has_no_agreement_figure():
    single = pd.DataFrame({"claim_id": ["one", "two", "two"], "annotator": ["ana", "ana", "ben"],
                           "verdict": ["supported", "refuted", "refuted"]})
    v = by_claim(resolve(single, ResolvePolicy(overlap=2)))
    assert v["one"]["status"] == "open" and v["one"]["agreement"] is None
    assert v["two"]["agreement"] == 1.0
