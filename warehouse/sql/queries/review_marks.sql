-- Tasks whose review mark in Label Studio differs from what their claim's verdict needs:
-- "needs_review" for verdicts that need review, "" for every other task once marked.
SELECT t.ls_url, t.project_id, t.task_id, coalesce(t.review_mark, '') AS current_mark,
       CASE WHEN v.status = 'needs_review' THEN 'needs_review' ELSE '' END AS wanted_mark
FROM tasks t
LEFT JOIN verdicts v USING (claim_id)
WHERE t.ls_url = $ls_url AND t.project_id = $project_id
  AND coalesce(t.review_mark, '') <> CASE WHEN v.status = 'needs_review' THEN 'needs_review' ELSE '' END
