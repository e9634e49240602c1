-- Insert label rows from `batch` into {labels}, or replace the row of an annotation edited
-- since (latest wins; a row marked deleted comes back to life). Returns the ids written.
SELECT DISTINCT annotation_id FROM batch;

MERGE INTO {labels} USING (
    SELECT *, false AS deleted, CAST(NULL AS TIMESTAMP) AS deleted_at
    FROM batch
    QUALIFY row_number() OVER (PARTITION BY ls_url, annotation_id ORDER BY updated_at DESC NULLS LAST) = 1
) AS new
ON {labels}.ls_url = new.ls_url AND {labels}.annotation_id = new.annotation_id
WHEN MATCHED THEN UPDATE BY NAME
WHEN NOT MATCHED THEN INSERT BY NAME;
