-- Those of the file versions in `batch` (path, size, mtime_ns) that an earlier poll of the inbox
-- saw already, unchanged, at or before $before: written completely, ready to ingest.
SELECT path, size, mtime_ns
FROM inbox_files JOIN batch USING (path, size, mtime_ns)
WHERE status = 'waiting' AND seen_at <= $before
