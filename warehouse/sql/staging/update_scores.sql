-- New check-worthiness scores for claims (`batch`: claim_id, score, scorer); the claims keep
-- everything else. Returns the claims whose score changed.
UPDATE claims SET score = b.score, scorer = b.scorer
FROM batch b
WHERE claims.claim_id = b.claim_id AND (claims.score <> b.score OR claims.scorer <> b.scorer)
RETURNING claims.claim_id;
