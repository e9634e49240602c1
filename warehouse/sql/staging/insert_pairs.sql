-- Add the pairs of `batch` not stored yet (a pair found again keeps its first scores; see
-- `claimflow match --rematch`). Returns the ids added (read before the write: DuckLake has no
-- RETURNING).
SELECT DISTINCT pair_id FROM batch ANTI JOIN claim_pairs USING (pair_id);

MERGE INTO claim_pairs USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY pair_id) = 1
) AS new
ON claim_pairs.pair_id = new.pair_id
WHEN NOT MATCHED THEN INSERT BY NAME;
