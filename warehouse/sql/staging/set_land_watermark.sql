-- Move a project's land watermark forward (never back) and record when it landed.
MERGE INTO land_watermarks USING (
    SELECT $ls_url AS ls_url, CAST($project_id AS INTEGER) AS project_id, CAST($updated_at AS TIMESTAMP) AS updated_at,
           CAST($landed_at AS TIMESTAMP) AS landed_at
) AS new
ON land_watermarks.ls_url = new.ls_url AND land_watermarks.project_id = new.project_id
WHEN MATCHED THEN UPDATE SET updated_at = greatest(land_watermarks.updated_at, new.updated_at), landed_at = new.landed_at
WHEN NOT MATCHED THEN INSERT BY NAME;
