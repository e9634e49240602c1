-- Add the claim embeddings of `batch` (fixed-size lists, stored as FLOAT[]); one already
-- stored for the claim and encoder is kept. Returns the ids added.
INSERT INTO claim_embeddings BY NAME
SELECT * REPLACE (CAST(embedding AS FLOAT[]) AS embedding) FROM batch
ON CONFLICT DO NOTHING
RETURNING claim_id;
