-- The report's agreement table.
SELECT scope, scope_id, round(alpha, 3) AS alpha, n_claims, n_annotations
FROM agreement
ORDER BY scope DESC, scope_id
