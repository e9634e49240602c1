-- The claims of the articles ingested from $start (inclusive) to $end (exclusive) scoring at
-- least $threshold, most check-worthy first, at most $limit: each with its article, its best
-- fact-check match of at least $min_checked, and its likeliest contradicting claim of another
-- article (contradiction at least $may_contradict).
WITH checked AS (
    SELECT m.claim_id, f.rating, f.verdict, f.publisher, f.url, m.score
    FROM claim_fact_checks m JOIN fact_checks f USING (fact_check_id)
    WHERE m.rank = 1 AND m.score >= $min_checked
),
sides AS (
    SELECT claim_id_a AS claim_id, claim_id_b AS other, contradiction FROM claim_pairs WHERE contradiction >= $may_contradict
    UNION ALL
    SELECT claim_id_b, claim_id_a, contradiction FROM claim_pairs WHERE contradiction >= $may_contradict
),
otherwise AS (
    SELECT s.claim_id, o.text AS other_claim, oa.source AS other_source, s.contradiction
    FROM sides s JOIN claims o ON o.claim_id = s.other JOIN articles oa ON oa.article_id = o.article_id
    QUALIFY row_number() OVER (PARTITION BY s.claim_id ORDER BY s.contradiction DESC, s.other) = 1
)
SELECT
    c.claim_id, c.text AS claim, c.score, a.article_id, a.title AS article_title, a.source, a.published_at,
    k.rating AS checked_rating, k.verdict AS checked_verdict, k.publisher AS checked_publisher, k.url AS checked_url,
    k.score AS checked_score,
    w.claim_id IS NOT NULL AS says_otherwise, w.other_claim AS otherwise_claim, w.other_source AS otherwise_source,
    w.contradiction
FROM claims c
JOIN articles a USING (article_id)
LEFT JOIN checked k USING (claim_id)
LEFT JOIN otherwise w USING (claim_id)
WHERE a.ingested_at >= $start AND a.ingested_at < $end AND c.score >= $threshold
ORDER BY c.score DESC, c.claim_id
LIMIT $limit;
