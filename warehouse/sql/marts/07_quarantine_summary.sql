-- One row per day and failed expectation: quarantined label rows (a row failing two counts
-- twice), and how many were resolved later.
CREATE OR REPLACE VIEW quarantine_summary AS
WITH reasons AS (
    SELECT CAST(quarantined_at AS DATE) AS day, unnest(reasons) AS reason, resolved_at
    FROM main.labels_quarantine
)
SELECT day, reason, count(*) AS rows, count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved_later
FROM reasons
GROUP BY ALL;
