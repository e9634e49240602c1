-- Every claim with what a scorer needs: its text and its rule features.
SELECT claim_id, text, features FROM claims ORDER BY claim_id
