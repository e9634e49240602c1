-- Record {subject} -> task mappings from `batch` in {tasks}; a mapping already present is kept.
INSERT INTO {tasks} BY NAME
SELECT * FROM batch
ON CONFLICT (ls_url, project_id, {subject}) DO NOTHING
RETURNING {subject};
