-- One row per source (publication; '(unknown)' for articles without one): its articles and its
-- claims by status and resolved verdict, for comparing outlets.
CREATE OR REPLACE VIEW source_summary AS
SELECT
    coalesce(source, '(unknown)') AS source,
    count(DISTINCT article_id) AS articles,
    -- Every count of article_summary, summed (claims, pushed, resolved, ..., not_checkable).
    CAST(sum(COLUMNS(* EXCLUDE (article_id, title, source, published_at, krippendorff_alpha, claims_with_overlap))) AS INTEGER)
FROM main.article_summary
GROUP BY ALL;
