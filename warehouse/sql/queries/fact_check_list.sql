-- The fact-checks for people, newest review first: at most $limit, those whose claim or
-- publisher holds $search (case aside) when it is given.
SELECT fact_check_id, reviewed_at, publisher, rating, verdict, claim_reviewed, url
FROM fact_checks
WHERE $search IS NULL OR claim_reviewed ILIKE '%' || $search || '%' OR publisher ILIKE '%' || $search || '%'
ORDER BY reviewed_at DESC NULLS LAST, fact_check_id
LIMIT $limit;
