-- Store the fact-checks of `batch`: a new one is added, one whose content changed (an updated
-- review) is updated in place, an unchanged one is left alone. Returns (id, whether it was new)
-- of those written, read before the write (DuckLake has no RETURNING).
SELECT new.fact_check_id, fact_checks.fact_check_id IS NULL AS is_new
FROM (SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY fact_check_id) = 1) AS new
LEFT JOIN fact_checks ON fact_checks.fact_check_id = new.fact_check_id
WHERE fact_checks.fact_check_id IS NULL OR fact_checks.content_hash <> new.content_hash;

MERGE INTO fact_checks USING (
    SELECT * FROM batch QUALIFY row_number() OVER (PARTITION BY fact_check_id) = 1
) AS new
ON fact_checks.fact_check_id = new.fact_check_id
WHEN MATCHED AND fact_checks.content_hash <> new.content_hash THEN UPDATE SET
    claim_reviewed = new.claim_reviewed,
    rating = new.rating,
    verdict = new.verdict,
    publisher = new.publisher,
    publisher_url = new.publisher_url,
    url = new.url,
    reviewed_at = new.reviewed_at,
    claim_date = new.claim_date,
    appearance_url = new.appearance_url,
    claim_author = new.claim_author,
    language = new.language,
    title = new.title,
    rationale = new.rationale,
    evidence_urls = new.evidence_urls,
    claim_id = new.claim_id,
    source = new.source,
    origin = new.origin,
    content_hash = new.content_hash,
    updated_at = new.updated_at
WHEN NOT MATCHED THEN INSERT BY NAME;
