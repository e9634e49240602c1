-- One row per claim of an article that matches a fact-check rated false or misleading (refuted,
-- misleading), with its best such match: who repeats what after it was checked, with the
-- article's source and date and whether the article came out after the review.
CREATE OR REPLACE VIEW repeated_claims AS
WITH best AS (
    SELECT m.claim_id, m.fact_check_id, m.score,
           row_number() OVER (PARTITION BY m.claim_id ORDER BY m.score DESC, m.fact_check_id) AS n
    FROM main.claim_fact_checks m
    JOIN main.fact_checks f USING (fact_check_id)
    WHERE f.verdict IN ('refuted', 'misleading')
)
SELECT
    coalesce(a.source, '(source unknown)') AS source,
    a.published_at,
    a.title AS article_title,
    a.url AS article_url,
    c.claim_id,
    c.text AS claim,
    f.claim_reviewed,
    f.rating,
    f.verdict,
    f.publisher,
    f.url AS fact_check_url,
    f.reviewed_at,
    b.score,
    a.published_at IS NOT NULL AND f.reviewed_at IS NOT NULL AND CAST(a.published_at AS DATE) > f.reviewed_at AS after_review
FROM best b
JOIN main.claims c USING (claim_id)
JOIN main.articles a USING (article_id)
JOIN main.fact_checks f USING (fact_check_id)
WHERE b.n = 1
ORDER BY source, a.published_at DESC NULLS LAST, b.score DESC;
