"""Matching claims across articles: candidates from nearest neighbours of other articles, one
row per unordered pair, scores in [0, 1] and the reasons people see."""

import json

import numpy as np
import pytest

from claims.match import (
    RELATIONS, article_event_years, build_index, candidates, claim_set, load_matcher, match, neighbours, pair_features, pair_id,
    unordered,
)

ARTICLE_2024 = [
    "At the 2024 Munich Security Conference, Western unity on sanctions remained steadfast.",
    "Russia failed to split the allies at the conference.",
    "Moscow's delegation left the conference disappointed.",
]
ARTICLE_2025 = [
    "The conference revealed notable divides between US and European policymakers.",
    "Rising transatlantic fractures dominated the conference.",
    "European leaders criticised the US vice president's speech.",
]
ARTICLE_FOOD = [
    "The bakery sold two thousand loaves of bread on Saturday.",
    "Flour prices rose sharply this autumn.",
]


@pytest.fixture(scope="module")
def encoder():
    from claims.encoder import load_encoder

    return load_encoder()


def make_set(encoder, articles: dict[str, list[str]], years: dict[str, frozenset] | None = None, titles: dict | None = None):
    ids, arts, texts = [], [], []
    for article, sentences in articles.items():
        for n, text in enumerate(sentences):
            ids.append(f"{article}-{n}"), arts.append(article), texts.append(text)
    titles = titles or {a: a for a in articles}
    vectors = encoder.encode(texts)
    title_vectors = encoder.encode([titles[a] for a in arts])
    return claim_set(ids, arts, texts, vectors, title_vectors, [[] for _ in ids],
                     [(years or {}).get(a, frozenset()) for a in arts])


def test_neighbours_never_pair_claims_of_one_article_and_list_each_pair_once(encoder):
    claims = make_set(encoder, {"a": ARTICLE_2024, "b": ARTICLE_2025, "c": ARTICLE_FOOD})
    i, j, cos, _ = candidates(claims, np.arange(len(claims)), k=3)
    assert len(i) > 0
    for a, b in zip(i, j):
        assert claims.article_ids[a] != claims.article_ids[b]
        assert claims.claim_ids[a] < claims.claim_ids[b]
    assert len(set(zip(i, j))) == len(i)
    assert np.all(cos <= 1.0001)


def test_each_query_gets_at_most_k_neighbours(encoder):
    claims = make_set(encoder, {"a": ARTICLE_2024, "b": ARTICLE_2025, "c": ARTICLE_FOOD})
    found = neighbours(build_index(claims.vectors), claims, np.array([0]), k=2)
    assert len(found.i) == 2 and set(found.i.tolist()) == {0} and len(found.top[0]) == 2
    assert found.top[0] == sorted(found.top[0], reverse=True)


def test_the_hnsw_index_finds_the_same_nearest_claims_on_a_small_set(encoder):
    claims = make_set(encoder, {"a": ARTICLE_2024, "b": ARTICLE_2025, "c": ARTICLE_FOOD})
    exact = neighbours(build_index(claims.vectors), claims, np.arange(len(claims)), k=2)
    approximate = neighbours(build_index(claims.vectors, hnsw_from=2), claims, np.arange(len(claims)), k=2)
    assert set(zip(exact.i.tolist(), exact.j.tolist())) == set(zip(approximate.i.tolist(), approximate.j.tolist()))


def test_the_same_event_is_more_similar_than_another_topic_and_unity_against_divides_may_contradict(encoder):
    claims = make_set(encoder, {"a": ARTICLE_2024[:1], "b": ARTICLE_2025[:1], "c": ARTICLE_FOOD[:1]},
                      titles={"a": "Munich Security Conference", "b": "Munich Security Conference", "c": "Bakery news"})
    matcher = load_matcher()
    f = pair_features(claims, np.array([0, 0]), np.array([1, 2]))
    similarity, contradiction = matcher.score(f, matcher.refutation(claims.vectors))
    assert np.all((0 <= similarity) & (similarity <= 1)) and np.all((0 <= contradiction) & (contradiction <= 1))
    assert similarity[0] > similarity[1]
    assert contradiction[0] > contradiction[1]
    assert f.values["antonym"][0] == 1


def test_a_year_named_by_one_side_only_is_a_date_reason_and_two_years_are_different_dates(encoder):
    matcher = load_matcher()
    one = make_set(encoder, {"a": ARTICLE_2024[:1], "b": ARTICLE_2025[:1]})
    reasons = matcher.reasons(one, pair_features(one, np.array([0]), np.array([1])), matcher.refutation(one.vectors))[0]
    assert "date_unconfirmed" in {r["cue"] for r in reasons}
    two = make_set(encoder, {"a": ARTICLE_2024[:1], "b": ARTICLE_2025[:1]}, years={"b": frozenset({2025})})
    f = pair_features(two, np.array([0]), np.array([1]))
    assert f.values["date_differs"][0] == 1
    cues = {r["cue"] for r in matcher.reasons(two, f, matcher.refutation(two.vectors))[0]}
    assert "different_dates" in cues and "date_unconfirmed" not in cues


def test_an_article_year_comes_from_its_title_or_lead_else_its_publication():
    from datetime import datetime

    text = "Russia at MSC\nAt the 2024 Munich Security Conference, expectations ran high.\nLater, in 2019 terms, little changed."
    assert article_event_years("Russia at MSC", text, None) == {2024}
    assert article_event_years("Outcomes", "The conference revealed divides.", datetime(2025, 2, 16)) == {2025}
    assert article_event_years("Outcomes", "The conference revealed divides.", None) == frozenset()


def test_match_rows_have_the_warehouse_columns_and_valid_relations(encoder):
    claims = make_set(encoder, {"a": ARTICLE_2024, "b": ARTICLE_2025, "c": ARTICLE_FOOD})
    rows = match(claims, np.arange(len(claims)), load_matcher(), k=3, min_similarity=0.0).rows
    assert rows
    for row in rows:
        assert row["claim_id_a"] < row["claim_id_b"] and row["article_id_a"] != row["article_id_b"]
        assert row["pair_id"] == pair_id(row["claim_id_b"], row["claim_id_a"])
        assert row["relation"] in RELATIONS
        assert {r["cue"] for r in json.loads(row["reasons"])} >= {"similar_wording"}
        assert set(json.loads(row["features"])) >= {"cos", "antonym", "refutation"}
    assert len({r["pair_id"] for r in rows}) == len(rows)


def test_nothing_to_match_gives_no_rows(encoder):
    claims = make_set(encoder, {"a": ARTICLE_2024})
    assert match(claims, np.arange(len(claims)), load_matcher(), k=3, min_similarity=0.0).rows == []
    assert match(claims, np.array([], dtype=np.int64), load_matcher(), k=3).rows == []


def clustered(n_articles: int, per_article: int, seed: int = 0):
    """Articles whose claims are close to each other (one topic each) and far from the rest."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_articles, 32))
    vectors = np.concatenate([c + 0.15 * rng.normal(size=(per_article, 32)) for c in centres]).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    n = len(vectors)
    ids = [f"c{r:04d}" for r in range(n)]
    arts = [f"a{r // per_article}" for r in range(n)]
    return claim_set(ids, arts, ["Some claim text."] * n, vectors, vectors, [[] for _ in ids], [frozenset()] * n)


def test_a_claim_of_a_long_article_still_gets_k_neighbours_from_other_articles():
    claims = clustered(10, 30)  # each claim's 29 nearest are of its own article
    for index in (build_index(claims.vectors), build_index(claims.vectors, hnsw_from=2)):
        found = neighbours(index, claims, np.arange(len(claims)), k=5)
        assert np.bincount(found.i, minlength=len(claims)).min() == 5
        assert all(claims.article_ids[a] != claims.article_ids[b] for a, b in zip(found.i.tolist(), found.j.tolist()))


def test_matching_articles_one_by_one_finds_every_pair_a_match_of_all_at_once_finds():
    claims = clustered(6, 8, seed=3)
    k = 4
    everything = set(zip(*map(np.ndarray.tolist, candidates(claims, np.arange(len(claims)), k=k)[:2])))
    found, earlier = set(), {}
    for article in range(6):  # articles arrive one at a time: the warehouse holds the first ones only
        end = (article + 1) * 8
        so_far = claim_set(claims.claim_ids[:end], claims.article_ids[:end], claims.texts[:end], claims.vectors[:end],
                           claims.title_vectors[:end], [[] for _ in range(end)], [frozenset()] * end)
        i, j, _, top = candidates(so_far, np.arange(end - 8, end), k=k, earlier=earlier)
        found |= set(zip(i.tolist(), j.tolist()))
        earlier.update(top)
    assert everything <= found
    without = set()  # what matching only the new claims would find
    for article in range(6):
        end = (article + 1) * 8
        so_far = claim_set(claims.claim_ids[:end], claims.article_ids[:end], claims.texts[:end], claims.vectors[:end],
                           claims.title_vectors[:end], [[] for _ in range(end)], [frozenset()] * end)
        without |= set(zip(*map(np.ndarray.tolist, candidates(so_far, np.arange(end - 8, end), k=k)[:2])))
    assert not everything <= without  # the case the earlier claims' search is for
