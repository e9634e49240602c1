-- Record the claims and fact-checks of `batch` as looked up (by this method, now).
INSERT INTO fact_check_lookups BY NAME SELECT * FROM batch
ON CONFLICT (kind, id) DO UPDATE SET method = excluded.method, looked_at = excluded.looked_at,
    shortlist_floor = excluded.shortlist_floor;
