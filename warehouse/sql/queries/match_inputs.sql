-- Every claim with an embedding by $encoder, and what the matcher reads of it and of its
-- article (its passage: the claim and its neighbouring sentences); whether it was matched already.
SELECT
    c.claim_id,
    c.article_id,
    c.text,
    substr(t.text, c.context_start + 1, c.context_end - c.context_start) AS context,
    c.entities,
    e.embedding,
    a.title_embedding,
    a.event_years,
    m.claim_id IS NOT NULL AS matched
FROM claims c
JOIN claim_embeddings e ON e.claim_id = c.claim_id AND e.encoder = $encoder
JOIN article_embeddings a ON a.article_id = c.article_id AND a.encoder = $encoder
JOIN articles t ON t.article_id = c.article_id
LEFT JOIN matched_claims m ON m.claim_id = c.claim_id
ORDER BY c.claim_id;
