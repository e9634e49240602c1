-- Matching by story: the pairs of articles compared, how related the matcher judged them, and
-- whether their claims were aligned (related). A re-run compares only the articles with claims
-- not matched yet; a rematch scores every pair again.

-- One row per unordered pair of articles compared (article_id_a < article_id_b).
CREATE TABLE article_pairs (
    article_id_a VARCHAR NOT NULL,
    article_id_b VARCHAR NOT NULL,
    relatedness  DOUBLE NOT NULL CHECK (relatedness BETWEEN 0 AND 1),  -- tell the same story
    related      BOOLEAN NOT NULL,      -- at least the matcher's threshold: their claims were aligned
    features     JSON NOT NULL,         -- tfidf, centroid, best_cosine
    matcher      VARCHAR NOT NULL,
    matched_at   TIMESTAMP NOT NULL,
    run_id       VARCHAR,
    PRIMARY KEY (article_id_a, article_id_b),
    CHECK (article_id_a < article_id_b)
);

-- A claim is now compared with the claims of each related article, not with its k nearest
-- claims of any article: the cosines of those are no longer kept.
ALTER TABLE matched_claims DROP COLUMN top_cosines;
