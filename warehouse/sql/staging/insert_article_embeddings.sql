-- Add the article title embeddings and event years of `batch`; one already stored for the
-- article and encoder is kept. Returns the ids added (read before the write: DuckLake has no
-- RETURNING).
SELECT article_id FROM batch
ANTI JOIN article_embeddings USING (article_id, encoder)
QUALIFY row_number() OVER (PARTITION BY article_id, encoder) = 1;

MERGE INTO article_embeddings USING (
    SELECT * REPLACE (CAST(title_embedding AS FLOAT[]) AS title_embedding) FROM batch
    QUALIFY row_number() OVER (PARTITION BY article_id, encoder) = 1
) AS new
ON article_embeddings.article_id = new.article_id AND article_embeddings.encoder = new.encoder
WHEN NOT MATCHED THEN INSERT BY NAME;
