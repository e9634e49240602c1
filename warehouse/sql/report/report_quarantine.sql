-- The report's quarantine table.
SELECT *
FROM quarantine_summary
ORDER BY day, reason
