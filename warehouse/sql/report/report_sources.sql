-- The report's sources table.
SELECT *
FROM source_summary
ORDER BY claims DESC
