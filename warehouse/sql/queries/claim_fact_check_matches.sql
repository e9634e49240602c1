-- For the claims in `wanted`, their $limit best fact-check matches (claim_fact_checks), best
-- first: the fact-check's claim, rating and verdict, publisher, date and link, and the score.
SELECT m.claim_id, m.rank, m.score, m.method, f.claim_reviewed, f.rating, f.verdict, f.publisher, f.reviewed_at, f.url
FROM claim_fact_checks m
SEMI JOIN wanted w ON w.claim_id = m.claim_id
JOIN fact_checks f USING (fact_check_id)
WHERE m.rank <= $limit
ORDER BY m.claim_id, m.rank;
