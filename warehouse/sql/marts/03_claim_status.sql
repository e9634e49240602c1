-- One row per claim: where it is in the loop (not_pushed, pushed, open, resolved, needs_review)
-- and its verdict.
CREATE OR REPLACE VIEW claim_status AS
WITH claims AS (SELECT * FROM main.claims),
     articles AS (SELECT article_id, title, source FROM main.articles),
     -- One task per claim (the first pushed, if it went to several projects or servers),
     -- taken whole so its project and task id belong together.
     tasks AS (SELECT claim_id, project_id, task_id, review_mark FROM main.tasks
               QUALIFY row_number() OVER (PARTITION BY claim_id ORDER BY pushed_at, ls_url, project_id, task_id) = 1),
     labelled AS (SELECT claim_id, count(*) FILTER (WHERE NOT was_cancelled) AS labels,
                         count(*) FILTER (WHERE was_cancelled) AS skipped
                  FROM main.labels WHERE NOT deleted GROUP BY claim_id),
     quarantined AS (SELECT claim_id, count(*) AS quarantined FROM main.labels_quarantine
                     WHERE resolved_at IS NULL GROUP BY claim_id)
SELECT
    c.claim_id,
    c.article_id,
    a.title AS article_title,
    a.source,
    c.text AS claim,
    c.score,
    c.claim_type,
    t.project_id,
    t.task_id,
    CASE WHEN t.task_id IS NULL THEN 'not_pushed'
         WHEN v.status IS NULL THEN 'pushed'
         ELSE v.status END AS status,
    v.verdict,
    v.method,
    v.agreement,
    v.review_reason,
    coalesce(l.labels, 0) AS labels,
    coalesce(l.skipped, 0) AS skipped,
    coalesce(q.quarantined, 0) AS quarantined,
    v.votes,
    v.resolved_at
FROM claims c
JOIN articles a USING (article_id)
LEFT JOIN tasks t USING (claim_id)
LEFT JOIN main.verdicts v USING (claim_id)
LEFT JOIN labelled l USING (claim_id)
LEFT JOIN quarantined q USING (claim_id);
