-- Record {subject} -> task mappings from `batch` in {tasks}; a mapping already present is kept.
-- Returns the {subject}s added (read before the write: DuckLake has no RETURNING).
SELECT DISTINCT {subject} FROM batch ANTI JOIN {tasks} USING (ls_url, project_id, {subject});

MERGE INTO {tasks} USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY ls_url, project_id, {subject}) = 1
) AS new
ON {tasks}.ls_url = new.ls_url AND {tasks}.project_id = new.project_id AND {tasks}.{subject} = new.{subject}
WHEN NOT MATCHED THEN INSERT BY NAME;
