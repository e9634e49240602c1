-- How many fact-checks of `batch` are stored already with the same content.
SELECT count(*) FROM batch JOIN fact_checks USING (fact_check_id)
WHERE fact_checks.content_hash = batch.content_hash;
