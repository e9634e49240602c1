-- Add the pairs of `batch` not stored yet (a pair found again keeps its first scores; see
-- `claimflow match --rematch`). Returns the ids added.
INSERT INTO claim_pairs BY NAME
SELECT * FROM batch
ON CONFLICT (pair_id) DO NOTHING
RETURNING pair_id;
