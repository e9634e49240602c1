-- The pair labels that count towards resolved relations and agreement: live, submitted, with a
-- relation; one per pair and annotator (the latest).
SELECT
    l.pair_id,
    coalesce(l.annotator, 'user ' || l.annotator_id) AS annotator,
    l.relation,
    l.ls_url,
    l.project_id,
    l.task_id
FROM pair_labels l
JOIN claim_pairs p USING (pair_id)
WHERE NOT l.deleted AND NOT l.was_cancelled AND l.relation IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY l.pair_id, coalesce(l.annotator, 'user ' || l.annotator_id)
    ORDER BY l.updated_at DESC NULLS LAST, l.annotation_id DESC
) = 1
