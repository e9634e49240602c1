"""A long paragraph is cut into blocks spaCy takes, and a failure in one article stays in that
article: the others are extracted. In worker processes and through the command line:
tests/integration/test_long_articles.py."""

from claims.blocks import MAX_BLOCK_CHARS, split_blocks
from claims.extract import check_offsets, extract
from claims.sources import make_article

SENTENCE = "The ministry reported 42 new cases in Kyiv on Monday, officials said. "
LONG = (SENTENCE * (1_000_100 // len(SENTENCE) + 1))[:1_000_100]  # the fault probe's size, under the 2 MB limit


def test_a_paragraph_of_a_million_characters_becomes_blocks_cut_after_sentences():
    text = "Heading of the page\n" + LONG.rstrip()
    blocks = split_blocks(text)
    body = blocks[1:]
    assert blocks[0].kind == "heading" and {b.kind for b in body} == {"paragraph"}
    assert max(b.end - b.start for b in body) <= MAX_BLOCK_CHARS and len(body) > 100
    assert all(text[b.start : b.end].endswith("said.") for b in body[:-1])  # cut after a sentence end
    assert "".join(text[b.start : b.end] + " " for b in body).rstrip() == text[blocks[1].start :]  # nothing lost


def test_a_line_without_sentence_ends_is_cut_at_spaces_and_one_without_spaces_anywhere():
    words = "word " * 5000
    blob = "x" * 25_000
    text = f"{words}\n{blob}"
    blocks = split_blocks(text)
    assert all(b.end - b.start <= MAX_BLOCK_CHARS for b in blocks)
    assert all(text[b.start : b.end].startswith("word") and text[b.start : b.end].endswith("word") for b in blocks if b.start < len(words))
    assert sum(b.end - b.start for b in blocks if b.start >= len(words)) == 25_000


def test_claims_of_a_long_paragraph_point_into_the_article(nlp):
    article = make_article("Kyiv Update\n" + (SENTENCE * 400), path="long.txt", fmt="text")
    (extraction,) = extract(nlp, [article])
    assert extraction.error is None and len(extraction.claims) == 400
    check_offsets(article, extraction.claims)


def _failing_pipeline(nlp_max_length=None):
    import spacy
    from spacy.language import Language

    if "claimflow_test_fails_on_boom" not in Language.factories:
        @Language.component("claimflow_test_fails_on_boom")
        def fails_on_boom(doc):
            if "BOOM" in doc.text:
                raise ValueError("component failed on this text\nwith a second line")
            return doc

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("claimflow_test_fails_on_boom")
    if nlp_max_length:
        nlp.max_length = nlp_max_length
    return nlp


def articles(n, bad=()):
    return [
        make_article(f"Report {i}: NATO has 32 members today, officials said.{' BOOM went the parser.' if i in bad else ''}",
                     path=f"a{i}.txt", fmt="text")
        for i in range(n)
    ]


def test_an_article_spacy_fails_on_fails_alone_and_the_others_are_extracted():
    results = list(extract(_failing_pipeline(), articles(12, bad={3, 4, 10}), batch_size=4, scorer="rules-v1"))
    assert [r.article.source_path for r in results] == [f"a{i}.txt" for i in range(12)]
    errors = {r.article.source_path: r.error for r in results if r.error}
    assert errors == dict.fromkeys(["a3.txt", "a4.txt", "a10.txt"], "extraction failed: ValueError: component failed on this text")
    assert all(len(r.claims) == 1 for r in results if not r.error)


def test_blocks_follow_a_pipeline_whose_max_length_is_lower():
    nlp = _failing_pipeline(nlp_max_length=2_000)
    (result,) = extract(nlp, [make_article(SENTENCE * 100, path="long.txt", fmt="text")], scorer="rules-v1")
    assert result.error is None and len(result.claims) == 100


def _counting_pipeline():
    """A sentencizer pipeline that records, at every Doc it makes, how many of its Docs are alive."""
    import gc
    import weakref

    import spacy
    from spacy.language import Language

    alive: weakref.WeakSet = weakref.WeakSet()
    peaks: list[int] = []
    if "claimflow_test_counts_docs" not in Language.factories:
        @Language.factory("claimflow_test_counts_docs", default_config={})
        def counts_docs(nlp, name):
            def component(doc):
                if len(nlp.claimflow_alive) % 500 == 0:
                    gc.collect()
                nlp.claimflow_alive.add(doc)
                nlp.claimflow_peaks.append(len(nlp.claimflow_alive))
                return doc
            return component

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.claimflow_alive, nlp.claimflow_peaks = alive, peaks
    nlp.add_pipe("claimflow_test_counts_docs")
    return nlp, peaks


def test_an_article_of_many_short_lines_holds_no_doc_past_its_batch():
    """Each line is a Doc; a finished sentence keeps its features and entities, not its Doc, so an
    article of 200,000 short lines no longer holds 200,000 Docs (2 GB) until it is done."""
    nlp, peaks = _counting_pipeline()
    text = "\n".join(f"Aid to Kyiv rose {i % 10} percent in 2024, officials said." for i in range(3_000))
    (result,) = extract(nlp, [make_article(text, path="lines.txt", fmt="text")], batch_size=64, scorer="rules-v1")
    assert result.error is None and len(result.claims) == 3_000
    assert len(peaks) == 3_000 and max(peaks) < 600  # a batch or a few, never the article
