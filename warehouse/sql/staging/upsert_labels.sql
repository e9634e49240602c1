-- Insert label rows from `batch` into {labels}, or replace the row of an annotation edited
-- since (latest wins; a row marked deleted comes back to life). Returns the ids written.
INSERT OR REPLACE INTO {labels} BY NAME
SELECT *, false AS deleted, CAST(NULL AS TIMESTAMP) AS deleted_at
FROM batch
QUALIFY row_number() OVER (PARTITION BY ls_url, annotation_id ORDER BY updated_at DESC NULLS LAST) = 1
RETURNING annotation_id;
