-- One row per claim pair (claim_pairs): both claims with their articles and sources, the
-- model's scores, relation and reasons, and where the pair is in the review loop (not_pushed,
-- pushed, open, resolved, needs_review) with the relation people resolved.
CREATE OR REPLACE VIEW pair_overview AS
WITH pairs AS (SELECT * FROM main.claim_pairs),
     claims AS (SELECT claim_id, article_title, coalesce(source, '(no source) ' || left(article_title, 40)) AS source,
                       published_at, url, claim FROM main.claim_overview),
     tasks AS (SELECT pair_id, project_id, task_id FROM main.pair_tasks
               QUALIFY row_number() OVER (PARTITION BY pair_id ORDER BY pushed_at, ls_url, project_id, task_id) = 1)
SELECT
    p.pair_id,
    round(p.similarity, 4) AS similarity,
    round(p.contradiction, 4) AS contradiction,
    p.relation AS model_relation,
    a.claim AS claim_a,
    b.claim AS claim_b,
    a.article_title AS article_a,
    b.article_title AS article_b,
    a.source AS source_a,
    b.source AS source_b,
    a.published_at AS published_a,
    b.published_at AS published_b,
    p.reasons,
    t.project_id,
    t.task_id,
    CASE WHEN t.task_id IS NULL THEN 'not_pushed'
         WHEN v.status IS NULL THEN 'pushed'
         ELSE v.status END AS status,
    v.relation AS resolved_relation,
    v.agreement,
    v.votes,
    p.claim_id_a,
    p.claim_id_b,
    p.matcher
FROM pairs p
JOIN claims a ON a.claim_id = p.claim_id_a
JOIN claims b ON b.claim_id = p.claim_id_b
LEFT JOIN tasks t USING (pair_id)
LEFT JOIN main.pair_verdicts v USING (pair_id);
