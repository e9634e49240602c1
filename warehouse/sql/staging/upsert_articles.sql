-- Add new articles from the registered relation `batch`; an article already present is left
-- as it is (its id is a hash of its text, so it is the same article). Returns the new ids.
INSERT INTO articles BY NAME
SELECT * FROM batch
QUALIFY row_number() OVER (PARTITION BY article_id ORDER BY ingested_at) = 1
ON CONFLICT (article_id) DO NOTHING
RETURNING article_id;
