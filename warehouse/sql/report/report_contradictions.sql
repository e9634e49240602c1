-- The likeliest contradictions between articles, with why the model thinks so and what people said;
-- task_url makes each pushed pair's task id a link to Label Studio.
SELECT
    contradiction,
    similarity,
    model_relation,
    status,
    resolved_relation,
    claim_a || ' (' || article_a || ')' AS claim_a,
    claim_b || ' (' || article_b || ')' AS claim_b,
    (SELECT string_agg(r ->> 'cue', ', ') FROM unnest(CAST(reasons AS JSON[])) AS reason(r)
      WHERE (r ->> 'score') = 'contradiction' OR (r ->> 'cue') IN ('date_unconfirmed', 'different_dates')) AS reasons,
    c.task_id,
    t.ls_url || '/projects/' || t.project_id || '/data?task=' || t.task_id AS task_url
FROM candidate_contradictions c
LEFT JOIN pair_tasks t ON t.pair_id = c.pair_id AND t.project_id = c.project_id AND t.task_id = c.task_id
ORDER BY contradiction DESC
LIMIT 25
