-- One row per resolved verdict, with what a schema.org ClaimReview says of it.
-- reviewed_at: the latest change of a live label of the claim, so a re-resolve keeps the date.
WITH latest AS (
    SELECT claim_id, max(coalesce(updated_at, created_at)) AS reviewed_at
    FROM labels
    WHERE NOT deleted
    GROUP BY claim_id
)
SELECT
    v.claim_id,
    c.text AS claim,
    v.verdict,
    coalesce(l.reviewed_at, v.resolved_at) AS reviewed_at,
    a.url AS article_url,
    a.title AS article_title,
    a.source AS article_source,
    a.published_at AS article_published_at
FROM verdicts v
JOIN claims c USING (claim_id)
JOIN articles a USING (article_id)
LEFT JOIN latest l USING (claim_id)
WHERE v.status = 'resolved' AND v.verdict IS NOT NULL
ORDER BY reviewed_at, v.claim_id
