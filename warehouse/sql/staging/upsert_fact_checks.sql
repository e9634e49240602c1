-- Store the fact-checks of `batch`: a new one is added, one whose content changed (an updated
-- review) is updated in place, an unchanged one is left alone. Returns (id, whether it was new).
INSERT INTO fact_checks BY NAME
SELECT * FROM batch
ON CONFLICT (fact_check_id) DO UPDATE SET
    claim_reviewed = excluded.claim_reviewed,
    rating = excluded.rating,
    verdict = excluded.verdict,
    publisher = excluded.publisher,
    publisher_url = excluded.publisher_url,
    url = excluded.url,
    reviewed_at = excluded.reviewed_at,
    claim_date = excluded.claim_date,
    appearance_url = excluded.appearance_url,
    claim_author = excluded.claim_author,
    language = excluded.language,
    title = excluded.title,
    rationale = excluded.rationale,
    evidence_urls = excluded.evidence_urls,
    claim_id = excluded.claim_id,
    source = excluded.source,
    origin = excluded.origin,
    content_hash = excluded.content_hash,
    updated_at = excluded.updated_at
WHERE fact_checks.content_hash <> excluded.content_hash
RETURNING fact_check_id, imported_at = updated_at AS is_new;
