-- Claims people judged, as training rows for the check-worthiness model: a resolved verdict of
-- not_checkable is a negative (No), any other resolved verdict a positive (Yes).
SELECT
    claim_id AS sentence_id,
    claim AS text,
    CASE WHEN verdict = 'not_checkable' THEN 'No' ELSE 'Yes' END AS label
FROM claim_status
WHERE status = 'resolved' AND verdict IS NOT NULL
ORDER BY claim_id
