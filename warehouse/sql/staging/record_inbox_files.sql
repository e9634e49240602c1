-- The inbox files of `batch` seen by a run: one row per (path, size, mtime_ns), the latest sighting.
MERGE INTO inbox_files
USING batch
ON inbox_files.path = batch.path AND inbox_files.size = batch.size AND inbox_files.mtime_ns = batch.mtime_ns
WHEN MATCHED THEN UPDATE SET run_id = batch.run_id, status = batch.status, reason = batch.reason, seen_at = batch.seen_at
WHEN NOT MATCHED THEN INSERT BY NAME;
