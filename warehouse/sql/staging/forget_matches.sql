-- Every claim counts as not matched again (a rematch, in its own transaction with what it
-- stores); pairs stay. Returns the claims forgotten, read before the delete.
SELECT claim_id FROM matched_claims;

DELETE FROM matched_claims;
