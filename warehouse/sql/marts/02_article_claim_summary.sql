-- One row per article: how many claims and of which types, and how check-worthy they are.
CREATE OR REPLACE VIEW article_claim_summary AS
WITH claims AS (SELECT * FROM main.claims),
     articles AS (SELECT * FROM main.articles),
     per_article AS (
        SELECT
            article_id,
            count(*) AS claims,
            round(avg(score), 3) AS mean_score,
            count(*) FILTER (WHERE score >= 0.5) AS claims_scoring_0_5_or_more,
            histogram(claim_type) AS claim_types
        FROM claims
        GROUP BY article_id
     )
SELECT
    a.article_id,
    a.title,
    a.source,
    a.published_at,
    a.n_words,
    coalesce(p.claims, 0) AS claims,
    p.mean_score,
    coalesce(p.claims_scoring_0_5_or_more, 0) AS claims_scoring_0_5_or_more,
    p.claim_types,
    a.ingested_at
FROM articles a
LEFT JOIN per_article p USING (article_id);
