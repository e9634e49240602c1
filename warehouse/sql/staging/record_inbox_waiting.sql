-- The file versions in `batch` seen by this poll and not ready yet: remembered as waiting (the
-- first sighting kept), and a path's waiting rows of versions it no longer has forgotten.
DELETE FROM inbox_files
WHERE status = 'waiting' AND path IN (SELECT path FROM batch)
  AND NOT EXISTS (SELECT 1 FROM batch b
                  WHERE b.path = inbox_files.path AND b.size = inbox_files.size AND b.mtime_ns = inbox_files.mtime_ns);

MERGE INTO inbox_files USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY path, size, mtime_ns) = 1
) AS new
ON inbox_files.path = new.path AND inbox_files.size = new.size AND inbox_files.mtime_ns = new.mtime_ns
WHEN NOT MATCHED THEN INSERT BY NAME;
