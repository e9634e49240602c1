-- The pairs people resolved, with their relation: training examples for the matcher.
SELECT p.claim_id_a, p.claim_id_b, v.relation
FROM pair_verdicts v
JOIN claim_pairs p USING (pair_id)
WHERE v.status = 'resolved'
ORDER BY v.pair_id
