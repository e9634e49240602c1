-- Up to which task update a project's annotations have been landed: one row per (ls_url, project_id),
-- never moved back. Parameters: ls_url, project_id, updated_at (the latest seen), landed_at.
MERGE INTO land_watermarks
USING (SELECT ?::VARCHAR AS ls_url, ?::INTEGER AS project_id, ?::TIMESTAMP AS updated_at, ?::TIMESTAMP AS landed_at) AS seen
ON land_watermarks.ls_url = seen.ls_url AND land_watermarks.project_id = seen.project_id
WHEN MATCHED THEN UPDATE SET updated_at = greatest(land_watermarks.updated_at, seen.updated_at), landed_at = seen.landed_at
WHEN NOT MATCHED THEN INSERT (ls_url, project_id, updated_at, landed_at)
    VALUES (seen.ls_url, seen.project_id, seen.updated_at, seen.landed_at);
