-- Store the article pairs of `batch`; a pair compared again (a rematch) gets the new scores.
-- Returns the pairs written.
SELECT DISTINCT article_id_a, article_id_b FROM batch;

MERGE INTO article_pairs USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY article_id_a, article_id_b) = 1
) AS new
ON article_pairs.article_id_a = new.article_id_a AND article_pairs.article_id_b = new.article_id_b
WHEN MATCHED THEN UPDATE SET
    relatedness = new.relatedness,
    related = new.related,
    features = new.features,
    matcher = new.matcher,
    matched_at = new.matched_at,
    run_id = new.run_id
WHEN NOT MATCHED THEN INSERT BY NAME;
