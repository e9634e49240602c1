-- Record claim -> task mappings from `batch`; a mapping already present is kept.
INSERT INTO tasks BY NAME
SELECT * FROM batch
ON CONFLICT (ls_url, project_id, claim_id) DO NOTHING
RETURNING claim_id;
