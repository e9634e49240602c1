-- Quarantined versions of annotations that have now landed (`landed`) are resolved. Returns
-- their ids, read before the write (DuckLake has no RETURNING).
SELECT quarantine_id FROM labels_quarantine
WHERE ls_url = $ls_url
  AND resolved_at IS NULL
  AND annotation_id IN (SELECT annotation_id FROM landed);

UPDATE labels_quarantine SET resolved_at = $now
WHERE ls_url = $ls_url
  AND resolved_at IS NULL
  AND annotation_id IN (SELECT annotation_id FROM landed);
