-- New check-worthiness scores for claims (`batch`: claim_id, score, scorer); the claims keep
-- everything else. Returns the claims whose score changed, read before the write (DuckLake has
-- no RETURNING).
SELECT claims.claim_id FROM claims JOIN batch b ON claims.claim_id = b.claim_id
WHERE claims.score <> b.score OR claims.scorer <> b.scorer;

UPDATE claims SET score = b.score, scorer = b.scorer
FROM batch b
WHERE claims.claim_id = b.claim_id AND (claims.score <> b.score OR claims.scorer <> b.scorer);
