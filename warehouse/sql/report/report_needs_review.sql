-- The report's needs review table, each task with its address in Label Studio (task_url, shown
-- as the task id's link).
SELECT
    s.article_title,
    s.claim,
    s.review_reason,
    s.votes,
    s.task_id,
    t.ls_url || '/projects/' || t.project_id || '/data?task=' || t.task_id AS task_url
FROM claim_status s
LEFT JOIN tasks t ON t.claim_id = s.claim_id AND t.project_id = s.project_id AND t.task_id = s.task_id
WHERE s.status = 'needs_review'
ORDER BY s.article_title, s.task_id
