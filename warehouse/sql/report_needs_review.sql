-- The report's needs review table.
SELECT article_title, claim, review_reason, votes, task_id
FROM claim_status
WHERE status = 'needs_review'
ORDER BY article_title
