-- Add new articles from the registered relation `batch`; an article already present is left
-- as it is (its id is a hash of its text, so it is the same article). Returns the new ids
-- (read before the write: DuckLake has no RETURNING).
SELECT DISTINCT article_id FROM batch ANTI JOIN articles USING (article_id);

MERGE INTO articles USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY ingested_at) = 1
) AS new
ON articles.article_id = new.article_id
WHEN NOT MATCHED THEN INSERT BY NAME;
