"""Training the matcher: a logistic regression pulled towards its priors, body-grouped halves of
the stance benchmark, and a real (small) fit and evaluation."""

import json

import numpy as np
import pytest

from training import matcher as mt
from tests.conftest import ROOT

STANCE = ROOT.parent / "shared" / "benchmarks" / "stance"


def test_a_weight_without_evidence_keeps_its_prior_and_one_with_evidence_moves():
    rng = np.random.default_rng(0)
    informative = rng.normal(size=400)
    y = informative + rng.normal(scale=0.3, size=400) > 0
    silent = np.zeros(400)  # the cue never occurs: no evidence either way
    X = np.stack([informative, silent], axis=1)
    bias, weights = mt.fit_logistic(X, y, prior=np.array([0.0, 2.5]), strength=np.array([1.0, 1.0]))
    assert weights[0] > 2 and weights[1] == pytest.approx(2.5, abs=1e-6)


def test_a_firm_prior_resists_weak_contrary_evidence():
    rng = np.random.default_rng(1)
    cue = rng.random(300) < 0.05
    y = rng.random(300) < 0.5  # the cue says nothing here
    X = cue[:, None].astype(float)
    _, loose = mt.fit_logistic(X, y, prior=np.array([2.5]), strength=np.array([0.01]))
    _, firm = mt.fit_logistic(X, y, prior=np.array([2.5]), strength=np.array([200.0]))
    assert abs(firm[0] - 2.5) < abs(loose[0] - 2.5)


def test_bodies_split_into_two_stable_halves():
    halves = [mt.split_of(str(b)) for b in range(2000)]
    assert 0.45 < halves.count("fit") / len(halves) < 0.55
    assert halves == [mt.split_of(str(b)) for b in range(2000)]


@pytest.mark.parametrize("headline, sentence", [
    ("Soldier shot at war memorial", "Soldier shot at war memorial."),
    ("Did a meteorite hit Nicaragua?", "Did a meteorite hit Nicaragua."),
    ("ISIS beheads journalist.", "ISIS beheads journalist."),
])
def test_a_headline_reads_as_one_sentence(headline, sentence):
    assert mt.headline_sentence(headline) == sentence


@pytest.mark.slow
@pytest.mark.skipif(not (STANCE / "stances.csv").is_file(), reason="the stance benchmark is beside the project in CI")
def test_a_small_fit_on_the_stance_benchmark_writes_a_matcher_that_loads(tmp_path, nlp):
    from claims.encoder import load_encoder
    from claims.match import ARTICLE_FEATURES, CONTRADICTION_FEATURES, load_matcher
    from claims.nli import load_nli

    figures = mt.train(STANCE, tmp_path / "matcher", nlp=nlp, encoder=load_encoder(), nli=load_nli(), limit=400)
    model = json.loads((tmp_path / "matcher" / "matcher.json").read_text())
    assert model["version"] == figures["version"]
    assert set(model["relatedness"]["weights"]) == set(ARTICLE_FEATURES)
    assert set(model["contradiction"]["weights"]) == set(CONTRADICTION_FEATURES)
    assert 0 < model["thresholds"]["related"] < 1
    assert model["meta"]["report"]["rows"] == figures["rows"] > 0
    assert 0.5 <= figures["relatedness_roc_auc"] <= 1
    matcher = load_matcher(str(tmp_path / "matcher"))
    assert matcher.version == figures["version"]


def test_the_related_threshold_keeps_the_asked_share_of_related_examples():
    rng = np.random.default_rng(2)
    X = rng.normal(size=(1000, 1))
    y = X[:, 0] + rng.normal(scale=0.5, size=1000) > 0
    examples = mt.Examples(X, y, np.ones(1000))
    threshold = mt.related_threshold(0.0, np.array([2.0]), examples, recall=0.9)
    scores = 1 / (1 + np.exp(-2.0 * X[y, 0]))
    assert (scores >= threshold).mean() == pytest.approx(0.9, abs=0.01)
