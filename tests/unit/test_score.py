from dataclasses import replace

import pytest

from claims.score import Features, claim_type, score, text_features

BASE = Features(
    words=12, named_entities=1, has_number=False, has_date=False, attribution=False, quote=False,
    hedges=0, prediction=False, opinion=False, causal=False, past_event=False, first_person=False,
    question=False,
)


@pytest.mark.parametrize(
    "raising",
    [
        {"has_number": True},
        {"has_date": True},
        {"attribution": True},
        {"past_event": True},
        {"named_entities": 3},
        {"quote": True},
    ],
)
def test_checkable_features_raise_the_score(raising):
    assert score(replace(BASE, **raising)) > score(BASE)


@pytest.mark.parametrize(
    "lowering",
    [{"hedges": 1}, {"prediction": True}, {"opinion": True}, {"first_person": True}, {"question": True}, {"words": 4}],
)
def test_hedges_forecasts_opinions_and_questions_lower_the_score(lowering):
    assert score(replace(BASE, **lowering)) < score(BASE)


def test_entities_count_up_to_three():
    assert score(replace(BASE, named_entities=3)) == score(replace(BASE, named_entities=9))


def test_scores_stay_in_the_unit_interval():
    best = replace(BASE, named_entities=9, has_number=True, has_date=True, attribution=True, quote=True, past_event=True)
    worst = replace(BASE, words=2, hedges=5, prediction=True, opinion=True, first_person=True, question=True, named_entities=0)
    assert 0.9 < score(best) <= 1.0
    assert 0.0 <= score(worst) < 0.01


def test_a_numbered_attributed_statement_beats_a_hedged_forecast():
    fact = replace(BASE, has_number=True, attribution=True, past_event=True, named_entities=2)
    forecast = replace(BASE, prediction=True, hedges=1)
    assert score(fact) > 0.8 > 0.2 > score(forecast)


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"opinion": True, "has_number": True}, "opinion"),
        ({"prediction": True, "attribution": True}, "prediction"),
        ({"quote": True, "attribution": True}, "quote"),
        ({"attribution": True, "has_number": True}, "attribution"),
        ({"has_number": True, "causal": True}, "numeric"),
        ({"causal": True}, "causal"),
        ({"past_event": True}, "event"),
        ({}, "statement"),
    ],
)
def test_claim_type_precedence(changes, expected):
    assert claim_type(replace(BASE, **changes)) == expected


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("Spending may rise.", "hedges"),
        ("Spending is expected to rise next year.", "prediction"),
        ("Spending will rise.", "prediction"),
        ("Europe must spend more.", "opinion"),
        ("Prices rose because of the war.", "causal"),
        ("We believe this is wrong.", "first_person"),
        ("Is NATO ready?", "question"),
        ('He called it "a turning point for Europe".', "quote"),
    ],
)
def test_text_features_spot_cues(text, feature):
    assert text_features(text)[feature]


def test_plain_statement_has_no_cues():
    f = text_features("NATO was founded in 1949.")
    assert not any(f[k] for k in ("hedges", "prediction", "opinion", "causal", "first_person", "question", "quote"))
