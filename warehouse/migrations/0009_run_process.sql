-- Each run records the process running it (pid on host), so that a run left `running` by a
-- process that ended without finishing it (killed, or unable to record its failure while the
-- file was locked) is found by the next run and recorded as failed.
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host VARCHAR;
