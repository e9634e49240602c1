-- For the claims in `wanted`, $limit claims of other articles (from claim_pairs, either side):
-- those that may contradict it first ($may_contradict or more, the likeliest first), then the
-- most similar; with
-- the other claim's article, the pair's scores, the model's relation and its reasons.
WITH sides AS (
    SELECT claim_id_a AS claim_id, claim_id_b AS other, similarity, contradiction, relation, reasons FROM claim_pairs
    UNION ALL
    SELECT claim_id_b, claim_id_a, similarity, contradiction, relation, reasons FROM claim_pairs
)
SELECT s.claim_id, o.claim, o.article_title, o.source, o.published_at, s.similarity, s.contradiction, s.relation,
    s.reasons
FROM sides s
SEMI JOIN wanted w ON w.claim_id = s.claim_id
JOIN claim_overview o ON o.claim_id = s.other
QUALIFY row_number() OVER (
    PARTITION BY s.claim_id ORDER BY s.contradiction >= $may_contradict DESC,
        CASE WHEN s.contradiction >= $may_contradict THEN s.contradiction ELSE s.similarity END DESC, s.other
) <= $limit
ORDER BY s.claim_id, s.contradiction >= $may_contradict DESC,
    CASE WHEN s.contradiction >= $may_contradict THEN s.contradiction ELSE s.similarity END DESC;
