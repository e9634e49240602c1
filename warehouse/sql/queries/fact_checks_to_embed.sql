-- (id, text) of the fact-checks without an embedding by $encoder, or whose claim changed since.
SELECT f.fact_check_id, f.claim_reviewed
FROM fact_checks f
LEFT JOIN fact_check_embeddings e ON e.fact_check_id = f.fact_check_id AND e.encoder = $encoder
WHERE e.fact_check_id IS NULL OR e.embedded_at < f.updated_at
ORDER BY f.fact_check_id;
