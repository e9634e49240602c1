-- Labels ({labels}) of the changed tasks (`changed`) whose annotation is no longer in Label
-- Studio (`present`) are marked deleted; the row and its raw JSON stay. Returns (annotation,
-- task) of those, read before the write (DuckLake has no RETURNING).
SELECT annotation_id, task_id FROM {labels}
WHERE ls_url = $ls_url
  AND NOT deleted
  AND task_id IN (SELECT task_id FROM changed)
  AND annotation_id NOT IN (SELECT annotation_id FROM present);

UPDATE {labels} SET deleted = true, deleted_at = $now
WHERE ls_url = $ls_url
  AND NOT deleted
  AND task_id IN (SELECT task_id FROM changed)
  AND annotation_id NOT IN (SELECT annotation_id FROM present);
