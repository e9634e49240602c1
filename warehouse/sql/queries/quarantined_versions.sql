-- The latest version (updated_at) of each annotation of the tasks in `wanted` that is
-- quarantined and not resolved: a land validates it again but does not store it raw twice.
SELECT annotation_id, max(updated_at) AS updated_at
FROM labels_quarantine
WHERE ls_url = $ls_url AND resolved_at IS NULL AND annotation_id IS NOT NULL
  AND task_id IN (SELECT task_id FROM wanted)
GROUP BY annotation_id
