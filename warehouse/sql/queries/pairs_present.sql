-- How many pairs of `batch` are stored already.
SELECT count(*) FROM batch SEMI JOIN claim_pairs USING (pair_id)
