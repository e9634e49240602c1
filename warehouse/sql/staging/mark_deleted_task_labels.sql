-- Labels ({labels}) of tasks deleted in Label Studio (`gone`) are marked deleted; the rows and
-- their raw JSON stay. Returns their ids, read before the write (DuckLake has no RETURNING).
SELECT annotation_id FROM {labels}
WHERE ls_url = $ls_url
  AND project_id = $project_id
  AND NOT deleted
  AND task_id IN (SELECT task_id FROM gone);

UPDATE {labels} SET deleted = true, deleted_at = $now
WHERE ls_url = $ls_url
  AND project_id = $project_id
  AND NOT deleted
  AND task_id IN (SELECT task_id FROM gone);
