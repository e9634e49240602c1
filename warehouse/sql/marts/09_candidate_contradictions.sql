-- One row per claim pair that may contradict, likeliest first: every pair people have not
-- resolved as something else (filter on contradiction; `claimflow push` sends those at
-- CLAIMFLOW_PAIR_PUSH_THRESHOLD).
CREATE OR REPLACE VIEW candidate_contradictions AS
SELECT * FROM main.pair_overview
WHERE resolved_relation IS NULL OR resolved_relation = 'contradict'
ORDER BY contradiction DESC, pair_id;
