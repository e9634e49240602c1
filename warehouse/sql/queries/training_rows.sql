-- Claims people judged, as training rows for the check-worthiness model, one per claim.
-- The label is the majority of the annotators' "worth checking?" answers (live, submitted
-- labels; a tie gives no row). A claim nobody answered that for falls back to its resolved
-- verdict: not_checkable is a negative (No), any other verdict a positive (Yes).
WITH answers AS (
    SELECT
        claim_id,
        count(*) FILTER (WHERE check_worthy) AS yes,
        count(*) FILTER (WHERE NOT check_worthy) AS no
    FROM labels
    WHERE NOT deleted AND NOT was_cancelled AND check_worthy IS NOT NULL
    GROUP BY claim_id
),
from_answers AS (
    SELECT claim_id, CASE WHEN yes > no THEN 'Yes' ELSE 'No' END AS label
    FROM answers
    WHERE yes <> no
),
from_verdicts AS (
    SELECT claim_id, CASE WHEN verdict = 'not_checkable' THEN 'No' ELSE 'Yes' END AS label
    FROM claim_status
    WHERE status = 'resolved' AND verdict IS NOT NULL AND claim_id NOT IN (SELECT claim_id FROM answers)
),
labelled AS (
    SELECT * FROM from_answers
    UNION ALL
    SELECT * FROM from_verdicts
)
SELECT
    c.claim_id AS sentence_id,
    c.text,
    l.label
FROM labelled l
JOIN claims c USING (claim_id)
ORDER BY c.claim_id
