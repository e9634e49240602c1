-- Store the pairs of `batch` with their new scores (a rematch by a new matcher): new pairs are
-- added, pairs found again get the new scores, reasons and version. Returns the ids written.
SELECT DISTINCT pair_id FROM batch;

MERGE INTO claim_pairs USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY pair_id) = 1
) AS new
ON claim_pairs.pair_id = new.pair_id
WHEN MATCHED THEN UPDATE SET
    similarity = new.similarity,
    contradiction = new.contradiction,
    relation = new.relation,
    cosine = new.cosine,
    reasons = new.reasons,
    features = new.features,
    matcher = new.matcher,
    encoder = new.encoder,
    matched_at = new.matched_at,
    run_id = new.run_id
WHEN NOT MATCHED THEN INSERT BY NAME;
