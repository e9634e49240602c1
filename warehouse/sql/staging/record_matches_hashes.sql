-- Remember what each claim task of `batch` shows of its matches (a hash of its matches_html),
-- so a push updates in Label Studio only the tasks whose matches changed.
UPDATE tasks SET matches_hash = batch.matches_hash
FROM batch
WHERE tasks.ls_url = $ls_url AND tasks.project_id = $project_id AND tasks.claim_id = batch.claim_id
