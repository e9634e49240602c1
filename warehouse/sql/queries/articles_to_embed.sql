-- Articles without a title embedding by the encoder $encoder, with what their event years are
-- read from.
SELECT a.article_id, coalesce(a.title, '') AS title, a.text, a.published_at
FROM articles a
ANTI JOIN (SELECT article_id FROM article_embeddings WHERE encoder = $encoder) e USING (article_id)
ORDER BY a.article_id;
