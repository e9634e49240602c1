-- Quarantine the failing label rows of `batch`; a row pulled again unchanged is not added twice.
INSERT INTO labels_quarantine BY NAME
SELECT * FROM batch
ON CONFLICT (quarantine_id) DO NOTHING
RETURNING quarantine_id;
