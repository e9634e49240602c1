-- The verdicts, as validated for the data docs (votes is not a column of the suite).
SELECT * EXCLUDE (votes) FROM verdicts
