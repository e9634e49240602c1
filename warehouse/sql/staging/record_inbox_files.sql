-- Remember the file versions of `batch` with their status (a version seen again gets the new one).
MERGE INTO inbox_files USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY path, size, mtime_ns) = 1
) AS new
ON inbox_files.path = new.path AND inbox_files.size = new.size AND inbox_files.mtime_ns = new.mtime_ns
WHEN MATCHED THEN UPDATE BY NAME
WHEN NOT MATCHED THEN INSERT BY NAME;
