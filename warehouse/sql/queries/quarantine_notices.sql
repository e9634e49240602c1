-- Each task of a project ({tasks}) with its open quarantined answers, for the notice the
-- annotators see in the task: one row per task whose notice must change (a task whose answers
-- are all fixed or gone gets no rows in `open`, and its notice is cleared to '').
-- An answer is open while its quarantine row is unresolved, its annotation is still in the task
-- (not deleted in Label Studio since), and its annotator has no valid answer of the task landed
-- after it (a new answer in place of the old one fixes it as well as an update).
WITH open AS (
    SELECT q.task_id,
           q.annotation_id,
           coalesce(q.label_row ->> 'annotator', 'user ' || (q.label_row ->> 'annotator_id')) AS annotator,
           q.reasons,
           q.label_row
    FROM labels_quarantine q
    WHERE q.ls_url = $ls_url AND q.project_id = $project_id AND q.resolved_at IS NULL
      AND NOT EXISTS (
          SELECT 1 FROM {labels} l
          WHERE l.ls_url = q.ls_url AND l.task_id = q.task_id AND NOT l.deleted
            AND l.annotator_id = TRY_CAST(q.label_row ->> 'annotator_id' AS INTEGER)
            AND l.updated_at >= q.updated_at
      )
    QUALIFY row_number() OVER (PARTITION BY q.task_id, q.annotation_id ORDER BY q.quarantined_at DESC) = 1
)
SELECT t.task_id,
       coalesce(t.quarantine_notice, '') AS current_notice,
       list({'annotation_id': o.annotation_id, 'annotator': o.annotator, 'reasons': o.reasons, 'label_row': o.label_row}
            ORDER BY o.annotation_id) FILTER (WHERE o.task_id IS NOT NULL) AS answers
FROM {tasks} t
LEFT JOIN open o USING (task_id)
WHERE t.ls_url = $ls_url AND t.project_id = $project_id
  AND (o.task_id IS NOT NULL OR coalesce(t.quarantine_notice, '') <> '')
GROUP BY t.task_id, t.quarantine_notice
