-- The live labels, as validated for the data docs.
SELECT * FROM labels WHERE NOT deleted
