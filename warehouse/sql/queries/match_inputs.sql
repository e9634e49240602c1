-- Every claim with an embedding by $encoder, and what the matcher reads of it and of its
-- article; whether it was matched already.
SELECT
    c.claim_id,
    c.article_id,
    c.text,
    c.entities,
    e.embedding,
    a.title_embedding,
    a.event_years,
    m.claim_id IS NOT NULL AS matched
FROM claims c
JOIN claim_embeddings e ON e.claim_id = c.claim_id AND e.encoder = $encoder
JOIN article_embeddings a ON a.article_id = c.article_id AND a.encoder = $encoder
LEFT JOIN matched_claims m ON m.claim_id = c.claim_id
ORDER BY c.claim_id;
