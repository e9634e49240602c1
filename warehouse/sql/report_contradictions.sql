-- The likeliest contradictions between articles, with why the model thinks so and what people said.
SELECT
    contradiction,
    similarity,
    model_relation,
    status,
    resolved_relation,
    claim_a || ' (' || article_a || ')' AS claim_a,
    claim_b || ' (' || article_b || ')' AS claim_b,
    (SELECT string_agg(r ->> 'cue', ', ') FROM unnest(CAST(reasons AS JSON[])) AS t(r)
      WHERE (r ->> 'score') = 'contradiction' OR (r ->> 'cue') IN ('date_unconfirmed', 'different_dates')) AS reasons,
    task_id
FROM candidate_contradictions
ORDER BY contradiction DESC
LIMIT 25
