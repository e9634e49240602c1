-- Insert labels from `batch`, or replace the row of an annotation edited since (latest wins).
INSERT INTO labels BY NAME
SELECT * FROM batch
QUALIFY row_number() OVER (PARTITION BY ls_url, annotation_id ORDER BY updated_at DESC NULLS LAST) = 1
ON CONFLICT (ls_url, annotation_id) DO UPDATE SET
    project_id = excluded.project_id,
    task_id = excluded.task_id,
    claim_id = excluded.claim_id,
    annotator_id = excluded.annotator_id,
    annotator = excluded.annotator,
    verdict = excluded.verdict,
    confidence = excluded.confidence,
    rationale = excluded.rationale,
    evidence_urls = excluded.evidence_urls,
    lead_time = excluded.lead_time,
    created_at = excluded.created_at,
    updated_at = excluded.updated_at,
    was_cancelled = excluded.was_cancelled,
    updated_by_id = excluded.updated_by_id,
    updated_by = excluded.updated_by,
    check_worthy = excluded.check_worthy,
    deleted = false,
    deleted_at = NULL,
    landed_at = excluded.landed_at,
    run_id = excluded.run_id
RETURNING annotation_id;
