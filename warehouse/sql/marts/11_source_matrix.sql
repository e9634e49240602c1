-- One row per pair of sources (source_x <= source_y; an article without a source stands for
-- itself): how many claim pairs join them, how often the model thinks they may contradict,
-- and how people resolved the pairs they judged.
CREATE OR REPLACE VIEW source_matrix AS
WITH sides AS (
    SELECT least(source_a, source_b) AS source_x, greatest(source_a, source_b) AS source_y,
           contradiction, status, resolved_relation
    FROM main.pair_overview
)
SELECT
    source_x,
    source_y,
    count(*) AS pairs,
    round(avg(contradiction), 3) AS mean_contradiction,
    count(*) FILTER (WHERE contradiction >= 0.5) AS may_contradict,
    count(*) FILTER (WHERE status = 'resolved') AS resolved,
    count(*) FILTER (WHERE status = 'resolved' AND resolved_relation = 'agree') AS agree,
    count(*) FILTER (WHERE status = 'resolved' AND resolved_relation = 'contradict') AS contradict,
    count(*) FILTER (WHERE status = 'resolved' AND resolved_relation = 'unrelated') AS unrelated,
    count(*) FILTER (WHERE status = 'resolved' AND resolved_relation = 'different_event') AS different_event,
    round(count(*) FILTER (WHERE status = 'resolved' AND resolved_relation = 'contradict')
          / nullif(count(*) FILTER (WHERE status = 'resolved' AND resolved_relation IN ('agree', 'contradict')), 0), 3)
        AS contradict_share
FROM sides
GROUP BY ALL
ORDER BY source_x, source_y;
