-- How many labels the warehouse holds, not counting deleted annotations.
SELECT count(*) FROM labels WHERE NOT deleted
