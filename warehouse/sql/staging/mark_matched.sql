-- Record that the claims of `batch` were matched, with their nearest cosines; a claim matched
-- before gets the new ones.
INSERT INTO matched_claims BY NAME SELECT * FROM batch
ON CONFLICT (claim_id) DO UPDATE SET
    matcher = excluded.matcher, encoder = excluded.encoder, matched_at = excluded.matched_at,
    run_id = excluded.run_id, top_cosines = excluded.top_cosines
RETURNING claim_id;
