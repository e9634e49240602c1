-- Store the fact-check embeddings of `batch` (fixed-size lists, stored as FLOAT[]), replacing
-- an older one of the same encoder. Returns the ids written.
INSERT INTO fact_check_embeddings BY NAME
SELECT * REPLACE (CAST(vector AS FLOAT[]) AS vector) FROM batch
ON CONFLICT (fact_check_id, encoder) DO UPDATE SET vector = excluded.vector, embedded_at = excluded.embedded_at
RETURNING fact_check_id;
