-- task id -> how many of the project's annotations the warehouse holds: live labels ({labels})
-- and annotations quarantined and not resolved, each annotation once. Compared with Label
-- Studio's own counts, it finds annotations no pull brought.
SELECT task_id, count(DISTINCT annotation_id) AS held
FROM (
    SELECT task_id, annotation_id FROM {labels}
    WHERE ls_url = $ls_url AND project_id = $project_id AND NOT deleted
    UNION ALL
    SELECT task_id, annotation_id FROM labels_quarantine
    WHERE ls_url = $ls_url AND project_id = $project_id AND resolved_at IS NULL AND annotation_id IS NOT NULL
)
GROUP BY task_id
