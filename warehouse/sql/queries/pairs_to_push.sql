-- Pairs whose contradiction reaches $threshold that have no task yet in the pair project
-- ($ls_url, $project_id), the likeliest contradictions first, with what a pair task shows of
-- each claim (a_* and b_*).
WITH mapped AS (
    SELECT pair_id FROM pair_tasks WHERE ls_url = $ls_url AND project_id = $project_id
)
SELECT
    p.pair_id, p.similarity, p.contradiction, p.relation, p.reasons, p.matcher,
    a.claim_id AS a_claim_id, a.claim AS a_claim, a.context AS a_context,
    a.claim_start_in_context AS a_start, a.claim_end_in_context AS a_end,
    a.article_title AS a_title, a.source AS a_source, a.url AS a_url, a.published_at AS a_published_at,
    b.claim_id AS b_claim_id, b.claim AS b_claim, b.context AS b_context,
    b.claim_start_in_context AS b_start, b.claim_end_in_context AS b_end,
    b.article_title AS b_title, b.source AS b_source, b.url AS b_url, b.published_at AS b_published_at
FROM claim_pairs p
ANTI JOIN mapped m ON m.pair_id = p.pair_id
JOIN claim_overview a ON a.claim_id = p.claim_id_a
JOIN claim_overview b ON b.claim_id = p.claim_id_b
WHERE p.contradiction >= $threshold
ORDER BY p.contradiction DESC, p.pair_id;
