-- Claims at or above the threshold ($threshold) that have no task yet in the project
-- ($ls_url, $project_id), most check-worthy first, with what a task shows.
SELECT
    o.claim_id, o.article_id, o.article_title, o.source, a.url, a.published_at,
    o.claim, o.score, o.claim_type, o.context, o.claim_start_in_context, o.claim_end_in_context, o.scorer
FROM claim_overview o
JOIN articles a USING (article_id)
WHERE o.score >= $threshold
  AND NOT EXISTS (
      SELECT 1 FROM tasks t
      WHERE t.ls_url = $ls_url AND t.project_id = $project_id AND t.claim_id = o.claim_id
  )
ORDER BY o.score DESC, o.claim_id;
