-- Store the fact-check embeddings of `batch` (fixed-size lists, stored as FLOAT[]), replacing
-- an older one of the same encoder. Returns the ids written.
SELECT DISTINCT fact_check_id FROM batch;

MERGE INTO fact_check_embeddings USING (
    SELECT * REPLACE (CAST(vector AS FLOAT[]) AS vector) FROM batch
    QUALIFY row_number() OVER (PARTITION BY fact_check_id, encoder) = 1
) AS new
ON fact_check_embeddings.fact_check_id = new.fact_check_id AND fact_check_embeddings.encoder = new.encoder
WHEN MATCHED THEN UPDATE SET vector = new.vector, embedded_at = new.embedded_at
WHEN NOT MATCHED THEN INSERT BY NAME;
