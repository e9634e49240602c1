-- One row per annotator: how much, how fast, and how often they agree with the resolved
-- verdict and with each other (mean Cohen's kappa over their pairs).
CREATE OR REPLACE VIEW annotator_agreement AS
WITH live AS (
    SELECT coalesce(annotator, 'user ' || annotator_id) AS annotator, claim_id, verdict, lead_time, was_cancelled
    FROM main.labels WHERE NOT deleted
),
stats AS (
    SELECT
        l.annotator,
        count(*) FILTER (WHERE NOT l.was_cancelled) AS labels,
        count(*) FILTER (WHERE l.was_cancelled) AS skipped,
        median(l.lead_time) AS median_lead_time_s,
        count(*) FILTER (WHERE v.status = 'resolved' AND NOT l.was_cancelled) AS on_resolved_claims,
        avg(CASE WHEN l.verdict = v.verdict THEN 1.0 ELSE 0.0 END)
            FILTER (WHERE v.status = 'resolved' AND NOT l.was_cancelled) AS agreement_with_verdict
    FROM live l
    LEFT JOIN main.verdicts v USING (claim_id)
    GROUP BY l.annotator
),
pairs AS (
    SELECT annotator, avg(cohen_kappa) AS mean_cohen_kappa, avg(agreement) AS mean_pairwise_agreement, count(*) AS partners
    FROM (
        SELECT annotator_a AS annotator, cohen_kappa, agreement FROM main.annotator_pairs
        UNION ALL
        SELECT annotator_b, cohen_kappa, agreement FROM main.annotator_pairs
    )
    GROUP BY annotator
)
SELECT
    s.annotator,
    s.labels,
    s.skipped,
    round(s.median_lead_time_s, 1) AS median_lead_time_s,
    s.on_resolved_claims,
    round(s.agreement_with_verdict, 3) AS agreement_with_verdict,
    round(p.mean_pairwise_agreement, 3) AS mean_pairwise_agreement,
    round(p.mean_cohen_kappa, 3) AS mean_cohen_kappa,
    coalesce(p.partners, 0) AS partners
FROM stats s
LEFT JOIN pairs p USING (annotator);
