"""Claim extraction in worker processes gives what one process gives."""

import pytest


@pytest.mark.slow
def test_parallel_extraction_gives_the_same_claims_in_the_same_order(sample_articles, sample_extractions):
    from claims.extract import extract_parallel
    from claims.pipeline import DEFAULT_MODEL

    articles = sample_articles * 2  # more articles than workers, several chunks each
    parallel = list(extract_parallel(DEFAULT_MODEL, articles, processes=2))
    assert [e.article.source_path for e in parallel] == [a.source_path for a in articles]
    expected = [c for ex in sample_extractions for c in ex.claims] * 2
    assert [c for ex in parallel for c in ex.claims] == expected
