-- Add the article title embeddings and event years of `batch`; one already stored for the
-- article and encoder is kept. Returns the ids added.
INSERT INTO article_embeddings BY NAME
SELECT * REPLACE (CAST(title_embedding AS FLOAT[]) AS title_embedding) FROM batch
ON CONFLICT DO NOTHING
RETURNING article_id;
