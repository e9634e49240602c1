-- What a resolve reads, summed up: when this changes, the verdicts may change (issue 13: a land
-- that changed nothing does not resolve again).
SELECT concat_ws(' ', count(*), max(landed_at), count(*) FILTER (WHERE deleted), max(deleted_at)) AS inputs
FROM labels
