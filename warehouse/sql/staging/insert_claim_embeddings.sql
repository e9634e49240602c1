-- Add the claim embeddings of `batch` (fixed-size lists, stored as FLOAT[]); one already
-- stored for the claim and encoder is kept. Returns the ids added (read before the write:
-- DuckLake has no RETURNING).
SELECT claim_id FROM batch
ANTI JOIN claim_embeddings USING (claim_id, encoder)
QUALIFY row_number() OVER (PARTITION BY claim_id, encoder) = 1;

MERGE INTO claim_embeddings USING (
    SELECT * REPLACE (CAST(embedding AS FLOAT[]) AS embedding) FROM batch
    QUALIFY row_number() OVER (PARTITION BY claim_id, encoder) = 1
) AS new
ON claim_embeddings.claim_id = new.claim_id AND claim_embeddings.encoder = new.encoder
WHEN NOT MATCHED THEN INSERT BY NAME;
