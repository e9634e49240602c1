-- Insert claims from `batch`, or update the scoring of claims already present (a new scorer or
-- model re-scores the same sentence). Returns the ids written.
SELECT DISTINCT claim_id FROM batch;

MERGE INTO claims USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY claim_id ORDER BY extracted_at DESC) = 1
) AS new
ON claims.claim_id = new.claim_id
WHEN MATCHED THEN UPDATE SET
    score = new.score,
    claim_type = new.claim_type,
    entities = new.entities,
    features = new.features,
    scorer = new.scorer,
    model = new.model,
    extracted_at = new.extracted_at,
    run_id = new.run_id
WHEN NOT MATCHED THEN INSERT BY NAME;
