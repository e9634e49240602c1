-- Every article with a claim embedded by $encoder, in article id order: the text its TF-IDF
-- vector is made of (title and body).
SELECT a.article_id, coalesce(a.title, '') || E'\n' || a.text AS text
FROM articles a
WHERE a.article_id IN (
    SELECT c.article_id FROM claims c JOIN claim_embeddings e ON e.claim_id = c.claim_id AND e.encoder = $encoder
)
ORDER BY a.article_id;
