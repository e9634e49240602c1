-- The desk's own fact-checks whose claim no longer has a resolved verdict (`kept`: the ids of
-- those that still do) are withdrawn: the fact-check, its vector, its lookups and its matches.
-- Returns the ids withdrawn.
CREATE OR REPLACE TEMP TABLE withdrawn AS
SELECT fact_check_id FROM fact_checks
WHERE source = 'desk' AND fact_check_id NOT IN (SELECT fact_check_id FROM kept);
DELETE FROM claim_fact_checks WHERE fact_check_id IN (SELECT fact_check_id FROM withdrawn);
DELETE FROM fact_check_embeddings WHERE fact_check_id IN (SELECT fact_check_id FROM withdrawn);
DELETE FROM fact_check_lookups WHERE kind = 'fact_check' AND id IN (SELECT fact_check_id FROM withdrawn);
DELETE FROM fact_checks WHERE fact_check_id IN (SELECT fact_check_id FROM withdrawn);
SELECT fact_check_id FROM withdrawn ORDER BY fact_check_id;
