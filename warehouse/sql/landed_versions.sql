-- The latest version (updated_at) of each annotation of the tasks in `wanted` already landed
-- or already quarantined: a land skips annotations unchanged since.
SELECT annotation_id, max(updated_at) AS updated_at
FROM (
    SELECT annotation_id, updated_at
    FROM labels
    WHERE ls_url = $ls_url AND NOT deleted AND task_id IN (SELECT task_id FROM wanted)
    UNION ALL
    SELECT annotation_id, updated_at
    FROM labels_quarantine
    WHERE ls_url = $ls_url AND resolved_at IS NULL AND annotation_id IS NOT NULL
      AND task_id IN (SELECT task_id FROM wanted)
)
GROUP BY annotation_id
