-- Analyst views, recreated after every migration. One statement per view.

-- One row per claim with its article's title and source and its context text.
CREATE OR REPLACE VIEW claim_overview AS
WITH claims AS (SELECT * FROM main.claims),
     articles AS (SELECT article_id, title, source, url, published_at, text FROM main.articles)
SELECT
    c.claim_id,
    c.article_id,
    a.title AS article_title,
    a.source,
    a.url,
    a.published_at,
    c.seq,
    c.text AS claim,
    c.score,
    c.claim_type,
    c.block_kind,
    substring(a.text, c.context_start + 1, c.context_end - c.context_start) AS context,
    c.start_char - c.context_start AS claim_start_in_context,
    c.end_char - c.context_start AS claim_end_in_context,
    c.entities,
    c.scorer,
    c.model,
    c.extracted_at
FROM claims c
JOIN articles a USING (article_id);

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
