-- The library by publisher and verdict: how many fact-checks, the first and last review date,
-- and how many claims of the warehouse match them.
SELECT
    coalesce(f.publisher, '(no publisher)') AS publisher,
    coalesce(f.verdict, '(unmapped)') AS verdict,
    count(*) AS fact_checks,
    min(f.reviewed_at) AS first_review,
    max(f.reviewed_at) AS last_review,
    count(DISTINCT m.claim_id) AS claims_matched
FROM fact_checks f
LEFT JOIN claim_fact_checks m USING (fact_check_id)
GROUP BY ALL
ORDER BY fact_checks DESC, publisher, verdict;
