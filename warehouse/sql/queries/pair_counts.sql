-- How many claim pairs there are, and how many of them score at least $threshold as a contradiction.
SELECT count(*), count(*) FILTER (WHERE contradiction >= $threshold) FROM claim_pairs
