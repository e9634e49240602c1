-- The claim tasks of the project ($ls_url, $project_id) whose claim is in a pair or matches a
-- fact-check, with the hash of the matches they were last given.
SELECT t.task_id, t.claim_id, t.matches_hash
FROM tasks t
WHERE t.ls_url = $ls_url AND t.project_id = $project_id
  AND (EXISTS (SELECT 1 FROM claim_pairs p WHERE p.claim_id_a = t.claim_id OR p.claim_id_b = t.claim_id)
       OR EXISTS (SELECT 1 FROM claim_fact_checks m WHERE m.claim_id = t.claim_id))
ORDER BY t.task_id
