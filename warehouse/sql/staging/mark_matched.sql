-- Record that the claims of `batch` were matched; a claim matched before (a rematch) gets the
-- new matcher, encoder and run.
INSERT INTO matched_claims BY NAME SELECT * FROM batch
ON CONFLICT (claim_id) DO UPDATE SET
    matcher = excluded.matcher, encoder = excluded.encoder, matched_at = excluded.matched_at,
    run_id = excluded.run_id
RETURNING claim_id;
