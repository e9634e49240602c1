-- Record the claims and fact-checks of `batch` as looked up (by this method, now).
MERGE INTO fact_check_lookups USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY kind, id) = 1
) AS new
ON fact_check_lookups.kind = new.kind AND fact_check_lookups.id = new.id
WHEN MATCHED THEN UPDATE SET method = new.method, looked_at = new.looked_at, shortlist_floor = new.shortlist_floor
WHEN NOT MATCHED THEN INSERT BY NAME;
