"""Looking claims up in the fact-check library: the fact-check that checks the claim comes first,
found by meaning or by words; scores in [0, 1]; a new fact-check finds the claims it could match."""

import numpy as np
import pytest

from claims.lookup import affected_claims, lexical_index, load_lookup, look_up

LIBRARY = [
    "The city council has banned bicycles on the harbour bridge.",
    "Drinking hot water every fifteen minutes kills the flu virus.",
    "Unemployment fell to 4.1% in the third quarter.",
    "The new stadium cost taxpayers two billion euros.",
]


@pytest.fixture(scope="module")
def encoder():
    from claims.encoder import load_encoder

    return load_encoder()


def test_each_claim_finds_the_fact_check_of_its_claim_first(encoder):
    claims = ["Cyclists can no longer ride over the harbour bridge after a council ban.",
              "Sipping hot water every quarter of an hour will kill the flu virus, doctors say.",
              "The stadium cost 2 billion euros of public money."]
    index = lexical_index(LIBRARY)
    matches = look_up(claims, encoder.encode(claims), encoder.encode(LIBRARY), index, load_lookup(), top=2).matches
    best = {m.claim: m for m in matches if m.rank == 1}
    assert [best[n].fact_check for n in range(3)] == [0, 1, 3]
    assert all(0 <= m.score <= 1 for m in matches) and all(m.rank in (1, 2) for m in matches)
    assert best[0].score > max(m.score for m in matches if m.rank == 2)


def test_a_minimum_score_keeps_unrelated_claims_unmatched(encoder):
    claims = ["The orchestra will tour Japan next spring."]
    matches = look_up(claims, encoder.encode(claims), encoder.encode(LIBRARY), lexical_index(LIBRARY), load_lookup(), min_score=0.5).matches
    assert matches == []


FILLER = [f"The {thing} will {act} in {place} next {when}." for thing, act, place, when in [
    ("museum", "reopen", "Lyon", "month"), ("ferry", "stop running", "Oslo", "winter"), ("festival", "move", "Porto", "summer"),
    ("library", "close", "Ghent", "year"), ("airport", "expand", "Riga", "decade"), ("zoo", "welcome pandas", "Vienna", "spring"),
    ("bakery", "open", "Turin", "week"), ("tram line", "extend", "Bergen", "autumn"), ("choir", "sing", "Cork", "Easter"),
    ("market", "return", "Bruges", "Sunday"), ("school", "merge", "Tartu", "term"), ("hospital", "hire nurses", "Malmo", "quarter"),
]]


def test_a_new_fact_check_names_the_claims_it_could_match(encoder):
    # Looked up against the library before its first fact-check came: each claim's shortlist is
    # full. The new fact-check enters the shortlist of the claim it checks, not the other's.
    library = LIBRARY + FILLER
    claims = ["The council banned bicycles on the harbour bridge.", "The orchestra will tour Japan next spring."]
    vectors, index = encoder.encode(library), lexical_index(library)
    model = load_lookup()
    before = look_up(claims, encoder.encode(claims), vectors[1:], lexical_index(library[1:]), model)
    assert not np.isnan(before.shortlist_floor).any()
    hit = affected_claims(claims, encoder.encode(claims), vectors[[0]], np.array([0]), index, model, min_score=0.5,
                          shortlist_floor=before.shortlist_floor)
    assert hit.tolist() == [0]


def test_the_re_ranker_reads_the_first_stage_s_best_few_and_keeps_scores_in_range(encoder):
    from claims.lookup import load_reranker

    model = load_lookup()
    assert model.rerank is not None and model.rerank.top >= 5
    claims = ["Cyclists can no longer ride over the harbour bridge after a council ban.",
              "Sipping hot water every quarter of an hour will kill the flu virus, doctors say."]
    matches = look_up(claims, encoder.encode(claims), encoder.encode(LIBRARY), lexical_index(LIBRARY), model, top=2,
                      library_texts=LIBRARY, reranker=load_reranker(model)).matches
    best = {m.claim: m for m in matches if m.rank == 1}
    assert [best[n].fact_check for n in range(2)] == [0, 1]
    assert all(m.entailment is not None and 0 <= m.entailment <= 1 and 0 <= m.score <= 1 for m in matches)
    # The fact-check that checks the claim is the one the re-ranker finds it entails.
    assert all(best[n].entailment > max(m.entailment for m in matches if m.claim == n and m.rank > 1) for n in range(2))


def test_a_new_fact_check_names_the_claims_whose_final_score_could_reach_the_minimum(encoder):
    from dataclasses import replace

    model = load_lookup()
    claims = ["The harbour bridge is closed to bicycles."]
    vectors, index = encoder.encode(LIBRARY), lexical_index(LIBRARY)
    first = look_up(claims, encoder.encode(claims), vectors, index, model, top=1).matches[0].first
    # A minimum just over the claim's first score: the re-ranker could still lift it there, so the
    # claim is looked up again; without a second stage it could not, and it is not.
    minimum = first + 0.01
    assert model.first_floor(minimum) <= first < minimum
    hit = affected_claims(claims, encoder.encode(claims), vectors[[0]], np.array([0]), index, model, min_score=minimum)
    assert hit.tolist() == [0]
    alone = replace(model, rerank=None)
    assert affected_claims(claims, encoder.encode(claims), vectors[[0]], np.array([0]), index, alone, min_score=minimum).tolist() == []
