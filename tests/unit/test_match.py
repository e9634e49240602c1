"""Matching claims across articles: related articles first, then every claim against every claim
of each related article; one row per unordered pair, scores in [0, 1], and the reasons people
see."""

import json

import numpy as np
import pytest

from claims.match import (
    RELATIONS, aligned_pairs, article_event_years, article_tfidf, claim_set, load_matcher, match, pair_features, pair_id,
    related_articles, score_pairs,
)

ARTICLE_2024 = [
    "At the 2024 Munich Security Conference, Western unity on sanctions remained steadfast.",
    "Russia failed to split the allies at the Munich Security Conference.",
    "Moscow's delegation left the Munich conference disappointed.",
]
ARTICLE_2025 = [
    "The Munich Security Conference revealed notable divides between US and European policymakers.",
    "Rising transatlantic fractures dominated the Munich conference.",
    "European leaders criticised the US vice president's speech in Munich.",
]
ARTICLE_FOOD = [
    "The bakery sold two thousand loaves of bread on Saturday.",
    "Flour prices rose sharply this autumn.",
]
# One story told by five wires in nearly the same words, and a sixth that says otherwise.
SAME = [
    "NATO allies agreed in The Hague to raise the defence spending guideline to 3% of GDP.",
    "NATO allies in The Hague agreed to raise the defence spending guideline to 3% of GDP.",
    "In The Hague, NATO allies agreed to raise their defence spending guideline to 3% of GDP.",
    "NATO allies agreed at The Hague to raise the guideline for defence spending to 3% of GDP.",
    "At The Hague, the NATO allies agreed to raise the defence spending guideline to 3% of GDP.",
]
DISSENT = "NATO allies meeting in The Hague did not agree to raise the defence spending guideline to 3% of GDP."
CONTEXT = ["The summit of NATO leaders in The Hague ended on Wednesday.", "Spain asked for an exemption from the new target."]


@pytest.fixture(scope="module")
def encoder():
    from claims.encoder import load_encoder

    return load_encoder()


@pytest.fixture(scope="module")
def nli():
    from claims.nli import load_nli

    return load_nli()


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


def texts_of(articles: dict[str, list[str]]) -> list[str]:
    return [" ".join(articles[a]) for a in sorted(articles)]


def run_match(encoder, nli, articles, new=None, **options):
    claims = make_set(encoder, articles)
    return claims, match(claims, texts_of(articles), sorted(articles) if new is None else new, load_matcher(), nli,
                         **options)


def test_pairs_are_never_of_one_article_and_each_pair_is_listed_once(encoder, nli):
    claims, result = run_match(encoder, nli, {"a": ARTICLE_2024, "b": ARTICLE_2025, "c": ARTICLE_FOOD},
                               min_similarity=0.0, min_contradiction=0.0)
    assert result.rows and result.aligned >= len(result.rows) and result.aligned >= result.scored
    for row in result.rows:
        assert row["article_id_a"] != row["article_id_b"] and row["claim_id_a"] < row["claim_id_b"]
        assert row["pair_id"] == pair_id(row["claim_id_b"], row["claim_id_a"])
        assert row["relation"] in RELATIONS
        assert json.loads(row["reasons"])[0]["cue"] == "inference"
        assert set(json.loads(row["features"])) >= {"cos", "nli", "nli_entail", "antonym", "number_mismatch"}
    assert len({r["pair_id"] for r in result.rows}) == len(result.rows)


def test_the_munich_articles_are_related_and_the_bakery_is_not(encoder):
    articles = {"a": ARTICLE_2024, "b": ARTICLE_2025, "c": ARTICLE_FOOD}
    claims = make_set(encoder, articles)
    pairs = related_articles(claims, article_tfidf(texts_of(articles)), np.arange(3), load_matcher())
    related = {(int(a), int(b)) for a, b, r in zip(pairs.a, pairs.b, pairs.related) if r}
    assert related == {(0, 1)}


def test_a_negated_claim_against_its_plain_form_is_a_contradiction_candidate(encoder, nli):
    articles = {"plain": [SAME[0]] + CONTEXT, "negated": [DISSENT] + CONTEXT}
    claims, result = run_match(encoder, nli, articles)
    pair = next(r for r in result.rows if {r["claim_id_a"], r["claim_id_b"]} == {"plain-0", "negated-0"})
    assert pair["relation"] == "contradict" and pair["contradiction"] >= 0.5


def test_a_claim_with_five_near_duplicates_still_gets_its_dissenting_counterpart(encoder, nli):
    articles = {f"wire{n}": [text] + CONTEXT for n, text in enumerate(SAME)}
    articles["dissent"] = [DISSENT] + CONTEXT
    claims, result = run_match(encoder, nli, articles, per_article=1)
    found = {(r["claim_id_a"], r["claim_id_b"]): r for r in result.rows}
    for n in range(len(SAME)):
        pair = found[tuple(sorted(("dissent-0", f"wire{n}-0")))]
        assert pair["contradiction"] > max(r["contradiction"] for k, r in found.items() if "dissent-0" not in k and
                                           k[0].endswith("-0") and k[1].endswith("-0"))


def test_a_re_run_with_no_new_article_adds_nothing_and_new_articles_one_by_one_find_what_all_at_once_finds(encoder, nli):
    articles = {f"wire{n}": [text] + CONTEXT for n, text in enumerate(SAME[:3])}
    articles["dissent"] = [DISSENT] + CONTEXT
    articles["food"] = ARTICLE_FOOD
    claims, everything = run_match(encoder, nli, articles)
    assert run_match(encoder, nli, articles, new=[])[1].rows == []
    found = set()
    names = sorted(articles)
    for n in range(len(names)):  # articles arrive one at a time: the warehouse holds the first ones only
        so_far = {a: articles[a] for a in names[: n + 1]}
        found |= {r["pair_id"] for r in run_match(encoder, nli, so_far, new=[names[n]])[1].rows}
    assert found == {r["pair_id"] for r in everything.rows}


def test_an_article_is_aligned_with_at_most_max_related_articles(encoder, nli):
    articles = {f"wire{n}": [text] + CONTEXT for n, text in enumerate(SAME)}
    claims = make_set(encoder, articles)
    pairs = related_articles(claims, article_tfidf(texts_of(articles)), np.arange(5), load_matcher(), max_related=2)
    ends = np.concatenate([pairs.a[pairs.related], pairs.b[pairs.related]])
    assert np.bincount(ends).max() <= 2 and pairs.related.sum() >= 2
    i, j, _, group = aligned_pairs(claims, pairs, per_article=1)
    assert np.bincount(group).max() <= 2 * 1  # per_article pairs per related article pair, as many with a cue
    codes = claims.cue_arrays["articles"]
    assert np.bincount(np.concatenate([codes[i], codes[j]])).max() <= 2 * 1 * 2  # ... times max_related


def test_the_same_event_is_more_similar_than_another_topic_and_unity_against_divides_contradicts_more_than_a_paraphrase(encoder, nli):
    paraphrase = "Western unity on sanctions held firm at the 2024 Munich Security Conference."
    claims = make_set(encoder, {"a": ARTICLE_2024[:1], "b": ARTICLE_2025[:1], "c": ARTICLE_FOOD[:1], "d": [paraphrase]},
                      titles={"a": "Munich Security Conference", "b": "Munich Security Conference", "c": "Bakery news",
                              "d": "Munich Security Conference"})
    i, j = np.array([0, 0, 0]), np.array([1, 2, 3])
    f = pair_features(claims, i, j, None, nli.probabilities([claims.texts[0]] * 3, claims.texts[1:]))
    similarity, contradiction = load_matcher().score(f)
    assert np.all((0 <= similarity) & (similarity <= 1)) and np.all((0 <= contradiction) & (contradiction <= 1))
    assert similarity[0] > similarity[1] and similarity[2] > similarity[1]
    assert contradiction[0] > contradiction[2]
    assert f.values["antonym"][0] == 1


def test_a_year_named_by_one_side_only_is_a_date_reason_and_two_years_are_different_dates(encoder):
    matcher = load_matcher()
    one = make_set(encoder, {"a": ARTICLE_2024[:1], "b": ARTICLE_2025[:1]})
    reasons = matcher.reasons(one, pair_features(one, np.array([0]), np.array([1])))[0]
    assert "date_unconfirmed" in {r["cue"] for r in reasons}
    two = make_set(encoder, {"a": ARTICLE_2024[:1], "b": ARTICLE_2025[:1]}, years={"b": frozenset({2025})})
    f = pair_features(two, np.array([0]), np.array([1]))
    assert f.values["date_differs"][0] == 1
    cues = {r["cue"] for r in matcher.reasons(two, f)[0]}
    assert "different_dates" in cues and "date_unconfirmed" not in cues


def test_an_article_year_comes_from_its_title_or_lead_else_its_publication():
    from datetime import datetime

    text = "Russia at MSC\nAt the 2024 Munich Security Conference, expectations ran high.\nLater, in 2019 terms, little changed."
    assert article_event_years("Russia at MSC", text, None) == {2024}
    assert article_event_years("Outcomes", "The conference revealed divides.", datetime(2025, 2, 16)) == {2025}
    assert article_event_years("Outcomes", "The conference revealed divides.", None) == frozenset()


def test_nothing_to_match_gives_no_rows(encoder, nli):
    assert run_match(encoder, nli, {"a": ARTICLE_2024})[1].rows == []
    assert run_match(encoder, nli, {"a": ARTICLE_2024, "b": ARTICLE_2025}, new=[])[1].rows == []


def test_the_nli_model_reads_a_negation_as_a_contradiction_and_a_paraphrase_as_entailment(nli):
    p = nli.probabilities([SAME[0], SAME[0]], [DISSENT, SAME[1]])
    assert p.shape == (2, 3) and np.allclose(p.sum(axis=1), 1, atol=1e-5)
    assert p[0, 2] > 0.5 and p[1, 0] > 0.5


def test_a_sentence_both_articles_word_alike_does_not_crowd_out_the_pair_that_differs(encoder):
    # Wire copies share their background word for word; the one claim that differs is what the
    # inference model must read, however many shared sentences are closer.
    background = CONTEXT + ["Leaders met for two days in the Dutch city.", "The alliance has 32 members."]
    articles = {"plain": [SAME[0]] + background, "negated": [DISSENT] + background}
    claims = make_set(encoder, articles)
    pairs = related_articles(claims, article_tfidf(texts_of(articles)), np.arange(2), load_matcher())
    assert pairs.related.all()
    i, j, cos, group = aligned_pairs(claims, pairs, per_article=1)
    assert {claims.claim_ids[i[0]], claims.claim_ids[j[0]]} == {"plain-0", "negated-0"} and cos[0] < 1.0


def test_every_related_article_pair_keeps_its_most_contradicting_claim_pair(encoder, nli):
    articles = {"a": ARTICLE_2024, "b": ARTICLE_2025, "c": ARTICLE_FOOD}
    claims, strict = run_match(encoder, nli, articles, min_similarity=1.0, min_contradiction=1.0)
    related = {(int(a), int(b)) for a, b, r in zip(strict.articles.a, strict.articles.b, strict.articles.related) if r}
    names = sorted(articles)
    assert {(r["article_id_a"], r["article_id_b"]) for r in strict.rows} == {(names[a], names[b]) for a, b in related}
    _, loose = run_match(encoder, nli, articles, min_similarity=0.0, min_contradiction=0.0)
    for kept in strict.rows:
        same_articles = [r for r in loose.rows if (r["article_id_a"], r["article_id_b"]) == (kept["article_id_a"], kept["article_id_b"])]
        assert kept["contradiction"] == max(r["contradiction"] for r in same_articles)


def test_an_article_that_disputes_the_report_is_a_cue_people_see_in_words(encoder):
    articles = {"report": ["Flour prices rose sharply this autumn, the bakers' union said."],
                "rebuttal": ["The bakers' union said flour prices rose this autumn.", "Millers called the figures a hoax.",
                             "The ministry denied that prices had risen and called the union's claim false."]}
    texts = {"report": " ".join(articles["report"]), "rebuttal": " ".join(articles["rebuttal"])}
    ids = [f"{a}-{n}" for a, sentences in articles.items() for n in range(len(sentences))]
    arts = [a for a, sentences in articles.items() for _ in sentences]
    flat = [t for sentences in articles.values() for t in sentences]
    vectors = encoder.encode(flat)
    claims = claim_set(ids, arts, flat, vectors, vectors, [[] for _ in ids], [frozenset()] * len(ids), None, texts)
    features = pair_features(claims, np.array([0]), np.array([1]), None, np.array([[0.1, 0.8, 0.1]]))
    assert features.values["article_refuting"][0] == pytest.approx(np.log1p(3))  # hoax, denied, false: the fuller article
    from claims.match import _cue_detail

    assert _cue_detail("article_refuting", claims, 0, 1) == "the fuller article disputes what it reports: denied, false, hoax"
    without = claim_set(ids, arts, flat, vectors, vectors, [[] for _ in ids], [frozenset()] * len(ids))
    assert pair_features(without, np.array([0]), np.array([1])).values["article_refuting"][0] == 0.0


def test_a_pair_with_opposite_words_is_read_even_when_closer_pairs_fill_the_places(encoder):
    edited = ["The summit of NATO leaders in The Hague ended on a Wednesday.", "Spain asked for an exemption from the target."]
    articles = {"unity": ["Western unity on sanctions remained steadfast at the summit."] + CONTEXT,
                "rift": ["Transatlantic fractures over sanctions dominated the summit."] + edited}
    claims = make_set(encoder, articles)
    pairs = related_articles(claims, article_tfidf(texts_of(articles)), np.arange(2), load_matcher())
    i, j, cos, group = aligned_pairs(claims, pairs, per_article=1)
    found = [{claims.claim_ids[a], claims.claim_ids[b]} for a, b in zip(i, j)]
    assert len(found) == 2 and found[1] == {"unity-0", "rift-0"} and cos[0] > cos[1]


def test_pairs_worded_alike_are_not_read_unless_a_cue_shows_a_difference(encoder, nli):
    from claims.match import worded_alike

    texts = {"a": [SAME[0]], "b": [SAME[1]], "c": [DISSENT], "d": [SAME[0].replace("3%", "2%")]}
    claims = make_set(encoder, texts)
    i, j = np.array([0, 0, 0]), np.array([1, 2, 3])
    cos = np.einsum("ij,ij->i", claims.vectors[i], claims.vectors[j])
    assert cos[0] >= 0.95 and worded_alike(claims, i, j, np.ones(3)).tolist() == [True, False, False]
    counts = {}
    rows = score_pairs(claims, i, j, None, load_matcher(), nli, counts=counts)
    assert counts == {"read": 2, "alike": 1}
    alike = next(r for r in rows if {r["claim_id_a"], r["claim_id_b"]} == {"a-0", "b-0"})
    assert json.loads(alike["reasons"])[0]["detail"].startswith("worded alike") and alike["contradiction"] < 0.1
    assert json.loads(alike["features"])["nli_read"] == 0.0
