-- What a resolve reads, summed up: when this changes, the verdicts may change (a land
-- that changed nothing does not resolve again). Claim labels and pair labels both count.
SELECT concat_ws(' ',
    (SELECT concat_ws(' ', count(*), max(landed_at), count(*) FILTER (WHERE deleted), max(deleted_at)) FROM labels),
    (SELECT concat_ws(' ', count(*), max(landed_at), count(*) FILTER (WHERE deleted), max(deleted_at)) FROM pair_labels)
) AS inputs
