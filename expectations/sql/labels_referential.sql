-- Referential checks of a batch of label rows (registered as `batch`) against the warehouse,
-- for one kind of task: {kind}s (ids in {subject}, mapped in {tasks}, landed in {labels}).
-- One row per (batch row, failed check). `present` holds the annotation ids the pulled tasks
-- still have: a landed label of those tasks missing from it was deleted in Label Studio.

-- The {kind} the label is for is one the warehouse knows.
SELECT b._row, '{kind}_known' AS check_name
FROM batch b
ANTI JOIN {subjects} c ON c.{subject} = b.{subject}
WHERE b.{subject} IS NOT NULL

UNION ALL

-- The task was pushed by claimflow (its mapping exists).
SELECT b._row, 'task_known' AS check_name
FROM batch b
ANTI JOIN {tasks} t ON t.ls_url = b.ls_url AND t.project_id = b.project_id AND t.task_id = b.task_id

UNION ALL

-- The annotator has no other live label for the {kind} already landed.
SELECT DISTINCT b._row, 'one_label_per_{kind}_and_annotator' AS check_name
FROM batch b
JOIN {labels} l
  ON l.ls_url = b.ls_url AND l.{subject} = b.{subject} AND l.annotator_id = b.annotator_id
 AND l.annotation_id <> b.annotation_id AND NOT l.deleted
WHERE NOT (l.task_id IN (SELECT task_id FROM batch) AND l.annotation_id NOT IN (SELECT annotation_id FROM present))
