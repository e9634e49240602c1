-- One row per resolved verdict, with what a schema.org ClaimReview says of it.
-- reviewed_at: the latest change of a live label of the claim, so a re-resolve keeps the date.
-- rationale: the latest rationale of an annotator who gave the resolved verdict; evidence_urls:
-- every evidence URL they gave, once each.
WITH latest AS (
    SELECT claim_id, max(coalesce(updated_at, created_at)) AS reviewed_at
    FROM labels
    WHERE NOT deleted
    GROUP BY claim_id
),
agreeing AS (
    SELECT
        l.claim_id,
        arg_max(l.rationale, coalesce(l.updated_at, l.created_at)) FILTER (WHERE nullif(trim(l.rationale), '') IS NOT NULL) AS rationale,
        list_sort(list_distinct(flatten(list(l.evidence_urls) FILTER (WHERE l.evidence_urls IS NOT NULL)))) AS evidence_urls
    FROM labels l
    JOIN verdicts v ON v.claim_id = l.claim_id AND v.verdict = l.verdict
    WHERE NOT l.deleted
    GROUP BY l.claim_id
)
SELECT
    v.claim_id,
    c.text AS claim,
    v.verdict,
    coalesce(l.reviewed_at, v.resolved_at) AS reviewed_at,
    g.rationale,
    coalesce(g.evidence_urls, []) AS evidence_urls,
    a.url AS article_url,
    a.title AS article_title,
    a.source AS article_source,
    a.published_at AS article_published_at
FROM verdicts v
JOIN claims c USING (claim_id)
JOIN articles a USING (article_id)
LEFT JOIN latest l USING (claim_id)
LEFT JOIN agreeing g USING (claim_id)
WHERE v.status = 'resolved' AND v.verdict IS NOT NULL
ORDER BY reviewed_at, v.claim_id
