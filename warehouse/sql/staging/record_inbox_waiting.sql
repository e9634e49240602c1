-- The file versions in `batch` seen by this poll and not ready yet: remembered as waiting (the
-- first sighting kept), and a path's waiting rows of versions it no longer has forgotten.
DELETE FROM inbox_files
WHERE status = 'waiting' AND path IN (SELECT path FROM batch)
  AND NOT EXISTS (SELECT 1 FROM batch b
                  WHERE b.path = inbox_files.path AND b.size = inbox_files.size AND b.mtime_ns = inbox_files.mtime_ns);
INSERT OR IGNORE INTO inbox_files BY NAME SELECT * FROM batch;
