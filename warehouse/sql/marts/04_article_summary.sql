-- One row per article: its claims by status and its resolved verdicts, with Krippendorff's
-- alpha over its claims.
CREATE OR REPLACE VIEW article_summary AS
WITH per_article AS (
    SELECT
        article_id,
        count(*) AS claims,
        count(*) FILTER (WHERE status <> 'not_pushed') AS pushed,
        count(*) FILTER (WHERE status = 'resolved') AS resolved,
        count(*) FILTER (WHERE status = 'needs_review') AS needs_review,
        count(*) FILTER (WHERE status = 'open') AS open,
        count(*) FILTER (WHERE status = 'resolved' AND verdict = 'supported') AS supported,
        count(*) FILTER (WHERE status = 'resolved' AND verdict = 'refuted') AS refuted,
        count(*) FILTER (WHERE status = 'resolved' AND verdict = 'misleading') AS misleading,
        count(*) FILTER (WHERE status = 'resolved' AND verdict = 'not_enough_info') AS not_enough_info,
        count(*) FILTER (WHERE status = 'resolved' AND verdict = 'not_checkable') AS not_checkable
    FROM main.claim_status
    GROUP BY article_id
)
SELECT
    a.article_id,
    a.title,
    a.source,
    a.published_at,
    coalesce(p.claims, 0) AS claims,
    coalesce(p.pushed, 0) AS pushed,
    coalesce(p.resolved, 0) AS resolved,
    coalesce(p.needs_review, 0) AS needs_review,
    coalesce(p.open, 0) AS open,
    coalesce(p.supported, 0) AS supported,
    coalesce(p.refuted, 0) AS refuted,
    coalesce(p.misleading, 0) AS misleading,
    coalesce(p.not_enough_info, 0) AS not_enough_info,
    coalesce(p.not_checkable, 0) AS not_checkable,
    g.alpha AS krippendorff_alpha,
    g.n_claims AS claims_with_overlap
FROM main.articles a
LEFT JOIN per_article p USING (article_id)
LEFT JOIN main.agreement g ON g.scope = 'article' AND g.scope_id = a.article_id;
