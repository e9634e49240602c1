-- Store the article pairs of `batch`; a pair compared again (a rematch) gets the new scores.
-- Returns the pairs written.
INSERT INTO article_pairs BY NAME
SELECT * FROM batch
ON CONFLICT (article_id_a, article_id_b) DO UPDATE SET
    relatedness = excluded.relatedness,
    related = excluded.related,
    features = excluded.features,
    matcher = excluded.matcher,
    matched_at = excluded.matched_at,
    run_id = excluded.run_id
RETURNING article_id_a;
