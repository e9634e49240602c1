-- One row per claim pair people resolved as contradicting each other.
CREATE OR REPLACE VIEW confirmed_contradictions AS
SELECT * FROM main.pair_overview
WHERE status = 'resolved' AND resolved_relation = 'contradict'
ORDER BY contradiction DESC, pair_id;
