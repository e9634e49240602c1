-- Every claim counts as not matched again (a rematch, in its own transaction with what it stores); pairs stay.
DELETE FROM matched_claims RETURNING claim_id
