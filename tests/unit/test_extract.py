import warnings

import pytest

from claims.extract import check_offsets, extract
from claims.errors import OffsetError
from claims.pipeline import ModelFallbackWarning, load_pipeline
from claims.sources import make_article


def test_every_claim_of_every_sample_article_is_exactly_its_offsets(sample_extractions):
    total = 0
    for ex in sample_extractions:
        assert ex.error is None
        text = ex.article.text
        for c in ex.claims:
            assert text[c.start : c.end] == c.text
            assert text[c.context_start : c.context_end].find(c.text) == c.start - c.context_start
            for e in c.entities:
                assert text[e["start"] : e["end"]] == e["text"]
            total += 1
        check_offsets(ex.article, ex.claims)
    assert total > 100


def test_every_sample_article_yields_claims_in_order(sample_extractions):
    for ex in sample_extractions:
        assert len(ex.claims) >= 10
        starts = [c.start for c in ex.claims]
        assert starts == sorted(starts)
        assert [c.seq for c in ex.claims] == list(range(len(ex.claims)))
        assert len({c.claim_id for c in ex.claims}) == len(ex.claims)


@pytest.mark.parametrize(
    "not_a_claim",
    [
        "Outcomes of the Munich Security Conference: A Shift in Global Dynamics",  # headline
        "The Impact of Changing U.S. Foreign Policy",  # section heading
        "Redefining NATO's Role",  # numbered heading
        "Here are five significant takeaways:",  # lead-in
        "Could a lasting peace in Ukraine be closer than many believe?",  # question
        "What Should We Be Careful About?",
        "Wrapping Up",
    ],
)
def test_headings_questions_and_lead_ins_are_not_claims(sample_extractions, not_a_claim):
    assert not any(c.text == not_a_claim or c.text.startswith(not_a_claim) for ex in sample_extractions for c in ex.claims)


def test_markdown_markers_never_reach_a_claim(sample_extractions):
    for ex in sample_extractions:
        for c in ex.claims:
            assert not c.text.startswith(("#", "- ", "* ", "1. ")) and "**" not in c.text


def test_a_heading_is_not_joined_to_the_paragraph_after_it(sample_extractions):
    texts = [c.text for ex in sample_extractions for c in ex.claims]
    assert any(t.startswith("The recent statements made by President Trump") for t in texts)
    assert not any("Foreign Policy The recent" in t or "Foreign Policy\nThe recent" in t for t in texts)


def test_list_items_are_claims_without_their_bullet(sample_extractions):
    items = [c for ex in sample_extractions for c in ex.claims if c.block_kind == "list_item"]
    assert any(c.text.startswith("Persistent mistrust on both sides") for c in items)


def test_numbers_and_attribution_score_above_hedged_opinion(sample_extractions):
    by_text = {c.text: c for ex in sample_extractions for c in ex.claims}
    founded = next(c for t, c in by_text.items() if t.startswith("Established in 1949"))
    vigilant = next(c for t, c in by_text.items() if t.startswith("Firstly, policymakers and citizens must"))
    assert founded.score > 0.7 and founded.claim_type == "numeric"
    assert vigilant.score < 0.2 and vigilant.claim_type == "opinion"
    assert {e["label"] for e in founded.entities} >= {"DATE", "ORG"}


def test_context_is_the_neighbouring_sentences(nlp):
    article = make_article("One claim about NATO here. Second claim about Russia here. Third claim about Kyiv here.", path="x", fmt="text")
    (ex,) = extract(nlp, [article], context_sentences=1)
    middle = ex.claims[1]
    assert article.text[middle.context_start : middle.context_end] == article.text
    (ex0,) = extract(nlp, [article], context_sentences=0)
    assert article.text[ex0.claims[1].context_start : ex0.claims[1].context_end] == ex0.claims[1].text


def test_articles_with_no_body_still_yield_an_extraction(nlp):
    only_heading = make_article("Just A Heading", path="h", fmt="text")
    body = make_article("NATO was founded in 1949 by twelve countries.", path="b", fmt="text")
    results = list(extract(nlp, [only_heading, body, only_heading]))
    assert [len(r.claims) for r in results] == [0, 1, 0]
    assert [r.article.source_path for r in results] == ["h", "b", "h"]


def test_check_offsets_rejects_a_claim_that_does_not_point_at_its_text(sample_extractions):
    ex = sample_extractions[0]
    from dataclasses import replace

    broken = replace(ex.claims[0], end=ex.claims[0].end - 1)
    with pytest.raises(OffsetError, match=broken.claim_id):
        check_offsets(ex.article, [broken])


def test_missing_model_falls_back_to_blank_english_with_a_warning():
    load_pipeline.cache_clear()
    with pytest.warns(ModelFallbackWarning, match="not installed"):
        nlp = load_pipeline("no_such_model_xyz")
    assert nlp.pipe_names == ["sentencizer"]
    article = make_article("NATO has 32 members, officials said. Is that right? Moscow reported heavy losses.", path="x", fmt="text")
    (ex,) = extract(nlp, [article])
    assert [c.text for c in ex.claims] == ["NATO has 32 members, officials said.", "Moscow reported heavy losses."]
    assert ex.claims[0].features["attribution"] and ex.claims[0].claim_type == "attribution"


def test_blank_pipeline_by_name_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nlp = load_pipeline("blank:en")
    assert nlp.pipe_names == ["sentencizer"]


def test_claims_of_articles_scored_together_get_the_scores_each_article_gets_alone(nlp, sample_articles, sample_extractions):
    from claims import extract as extraction

    assert sum(len(e.claims) for e in sample_extractions) < extraction.SCORE_POOL  # one scoring call for all of them
    for article, together in zip(sample_articles, sample_extractions):
        (alone,) = extract(nlp, [article])
        assert [(c.claim_id, c.score) for c in alone.claims] == [(c.claim_id, c.score) for c in together.claims]


def test_a_span_with_no_verb_is_not_read_by_the_model_and_scores_zero_with_the_reason(nlp, monkeypatch):
    from claims import checkworthy

    read: list[str] = []
    score_texts = checkworthy.score_texts
    monkeypatch.setattr(checkworthy, "score_texts", lambda texts, *a, **k: read.extend(texts) or score_texts(texts, *a, **k))
    text = ("Officials said on Sunday that 40 delegations attended the summit in Munich.\n\n"
            "Tanks, drones and artillery shells for the eastern front.\n\n"
            "The ministers agreed to meet again in March.")
    (done,) = extract(nlp, [make_article(text, path="x.txt", fmt="txt")])
    verbless = [c for c in done.claims if not c.features["has_verb"]]
    assert [c.text for c in verbless] == ["Tanks, drones and artillery shells for the eastern front."]
    assert verbless[0].score == 0.0 and verbless[0].features["skipped"] == "no verb"
    assert verbless[0].text not in read and len(read) == len(done.claims) - 1
    assert all(c.score > 0 and "skipped" not in c.features for c in done.claims if c.features["has_verb"])
