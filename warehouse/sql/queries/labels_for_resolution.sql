-- The labels that count towards verdicts and agreement: live (not deleted), submitted (not
-- skipped) and with a verdict (quarantined rows never reach `labels`), with their article and
-- project; one per claim and annotator (the latest), whatever server it came from.
SELECT
    l.claim_id,
    c.article_id,
    coalesce(l.annotator, 'user ' || l.annotator_id) AS annotator,
    l.verdict,
    l.ls_url,
    l.project_id,
    l.task_id
FROM labels l
JOIN claims c USING (claim_id)
WHERE NOT l.deleted AND NOT l.was_cancelled AND l.verdict IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY l.claim_id, coalesce(l.annotator, 'user ' || l.annotator_id)
    ORDER BY l.updated_at DESC NULLS LAST, l.annotation_id DESC
) = 1
