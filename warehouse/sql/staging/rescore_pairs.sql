-- Store the pairs of `batch` with their new scores (a rematch by a new matcher): new pairs are
-- added, pairs found again get the new scores, reasons and version. Returns the ids written.
INSERT INTO claim_pairs BY NAME
SELECT * FROM batch
ON CONFLICT (pair_id) DO UPDATE SET
    similarity = excluded.similarity,
    contradiction = excluded.contradiction,
    relation = excluded.relation,
    cosine = excluded.cosine,
    reasons = excluded.reasons,
    features = excluded.features,
    matcher = excluded.matcher,
    encoder = excluded.encoder,
    matched_at = excluded.matched_at,
    run_id = excluded.run_id
RETURNING pair_id;
