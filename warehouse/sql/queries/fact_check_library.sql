-- Every embedded fact-check as the lookup reads it, in id order: its id, the text matched
-- (the claim reviewed, with the review's title where given), its vector, and whether it is new
-- to the lookup (never looked up against the claims, or changed since).
SELECT
    f.fact_check_id,
    f.claim_reviewed || coalesce(' ' || f.title, '') AS text,
    e.vector,
    f.claim_id,
    l.id IS NULL OR l.looked_at < f.updated_at AS new
FROM fact_checks f
JOIN fact_check_embeddings e ON e.fact_check_id = f.fact_check_id AND e.encoder = $encoder
LEFT JOIN fact_check_lookups l ON l.kind = 'fact_check' AND l.id = f.fact_check_id
ORDER BY f.fact_check_id;
