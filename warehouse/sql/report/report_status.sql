-- The report's status table.
SELECT status, count(*) AS claims
FROM claim_status
GROUP BY status
ORDER BY claims DESC
