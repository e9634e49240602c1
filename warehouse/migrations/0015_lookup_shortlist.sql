-- The fact-check lookup reads a claim's best few fact-checks by its first stage again with a
-- cross-encoder. A new fact-check can change a claim's matches only by entering that shortlist:
-- each claim's lookup records the first score of the last fact-check on its shortlist (NULL when
-- the shortlist was not full, so any fact-check could enter it).
ALTER TABLE fact_check_lookups ADD COLUMN shortlist_floor DOUBLE;
