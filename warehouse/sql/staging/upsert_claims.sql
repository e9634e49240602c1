-- Insert claims from `batch`, or update the scoring of claims already present (a new scorer or
-- model re-scores the same sentence). Returns the ids written.
INSERT INTO claims BY NAME
SELECT * FROM batch
QUALIFY row_number() OVER (PARTITION BY claim_id ORDER BY extracted_at DESC) = 1
ON CONFLICT (claim_id) DO UPDATE SET
    score = excluded.score,
    claim_type = excluded.claim_type,
    entities = excluded.entities,
    features = excluded.features,
    scorer = excluded.scorer,
    model = excluded.model,
    extracted_at = excluded.extracted_at,
    run_id = excluded.run_id
RETURNING claim_id;
