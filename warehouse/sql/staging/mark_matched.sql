-- Record that the claims of `batch` were matched; a claim matched before (a rematch) gets the
-- new matcher, encoder and run. Returns the claims recorded.
SELECT DISTINCT claim_id FROM batch;

MERGE INTO matched_claims USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY claim_id) = 1
) AS new
ON matched_claims.claim_id = new.claim_id
WHEN MATCHED THEN UPDATE SET
    matcher = new.matcher, encoder = new.encoder, matched_at = new.matched_at, run_id = new.run_id
WHEN NOT MATCHED THEN INSERT BY NAME;
