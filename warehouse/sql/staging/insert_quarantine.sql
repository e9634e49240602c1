-- Quarantine the failing label rows of `batch`; a row pulled again unchanged is not added twice.
-- Returns the ids added (read before the write: DuckLake has no RETURNING).
SELECT DISTINCT quarantine_id FROM batch ANTI JOIN labels_quarantine USING (quarantine_id);

MERGE INTO labels_quarantine USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY quarantine_id) = 1
) AS new
ON labels_quarantine.quarantine_id = new.quarantine_id
WHEN NOT MATCHED THEN INSERT BY NAME;
