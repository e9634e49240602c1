-- The warehouse's claims, as validated for the data docs.
SELECT * FROM claims
