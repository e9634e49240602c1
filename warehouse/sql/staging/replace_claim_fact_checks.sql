-- The claims of `looked` were looked up again: their matches are those of `batch` now.
DELETE FROM claim_fact_checks WHERE claim_id IN (SELECT claim_id FROM looked);
INSERT INTO claim_fact_checks BY NAME SELECT * FROM batch;
