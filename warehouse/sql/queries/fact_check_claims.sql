-- Every embedded claim as the fact-check lookup reads it, in claim id order: its text, its
-- passage (the claim and the sentences either side, from its article), its vector, and whether
-- it is new to the lookup (never looked up, or by another lookup model), and the first score a
-- new fact-check must beat to enter its shortlist.
SELECT
    c.claim_id,
    c.text,
    substr(a.text, c.context_start + 1, c.context_end - c.context_start) AS context,
    e.embedding,
    l.id IS NULL OR l.method <> $method AS new,
    l.shortlist_floor
FROM claims c
JOIN articles a USING (article_id)
JOIN claim_embeddings e ON e.claim_id = c.claim_id AND e.encoder = $encoder
LEFT JOIN fact_check_lookups l ON l.kind = 'claim' AND l.id = c.claim_id
ORDER BY c.claim_id;
