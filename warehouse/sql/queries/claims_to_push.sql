-- Claims at or above the threshold ($threshold) that have no task yet in the project
-- ($ls_url, $project_id), most check-worthy first, with what a task shows.
WITH mapped AS (
    SELECT claim_id FROM tasks WHERE ls_url = $ls_url AND project_id = $project_id
)
SELECT
    o.claim_id, o.article_id, o.article_title, o.source, o.url, o.published_at,
    o.claim, o.score, o.claim_type, o.context, o.claim_start_in_context, o.claim_end_in_context, o.scorer
FROM claim_overview o
ANTI JOIN mapped m ON m.claim_id = o.claim_id
WHERE o.score >= $threshold
ORDER BY o.score DESC, o.claim_id;
