-- The stored pairs scored by another matcher than $matcher (a rematch scores them again).
SELECT claim_id_a, claim_id_b FROM claim_pairs WHERE matcher <> $matcher ORDER BY pair_id
