-- How many claims have not been matched yet.
SELECT count(*) FROM claims ANTI JOIN matched_claims USING (claim_id)
