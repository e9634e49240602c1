-- The report's pairs table.
SELECT annotator_a, annotator_b, n_common, round(agreement, 3) AS agreement, round(cohen_kappa, 3) AS cohen_kappa
FROM annotator_pairs
ORDER BY n_common DESC
