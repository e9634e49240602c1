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

-- One label per {kind} and annotator. A row fails when the annotator already has another live
-- label for the {kind} landed (not one this batch's tasks no longer have), or when the batch
-- holds another of the annotator's labels for the {kind} that is the one to keep: the one
-- already landed, else the latest (by update time, then annotation id). So of duplicates in
-- one batch the latest lands and the others are quarantined.
SELECT DISTINCT _row, 'one_label_per_{kind}_and_annotator' AS check_name
FROM (
    SELECT b._row
    FROM batch b
    JOIN {labels} l
      ON l.ls_url = b.ls_url AND l.{subject} = b.{subject} AND l.annotator_id = b.annotator_id
     AND l.annotation_id <> b.annotation_id AND NOT l.deleted
    WHERE NOT (l.task_id IN (SELECT task_id FROM batch) AND l.annotation_id NOT IN (SELECT annotation_id FROM present))

    UNION ALL

    SELECT _row
    FROM (
        SELECT b._row,
               row_number() OVER (
                   PARTITION BY b.{subject}, b.annotator_id
                   ORDER BY (l.annotation_id IS NOT NULL) DESC, b.updated_at DESC NULLS LAST, b.annotation_id DESC NULLS LAST
               ) AS keep_rank
        FROM batch b
        LEFT JOIN {labels} l ON l.ls_url = b.ls_url AND l.annotation_id = b.annotation_id AND NOT l.deleted
        WHERE b.{subject} IS NOT NULL AND b.annotator_id IS NOT NULL
    )
    WHERE keep_rank > 1
)
