-- The report's articles table.
SELECT title, coalesce(source, '') AS source, claims, pushed, resolved, needs_review, open, supported, refuted, misleading, not_enough_info, not_checkable, round(krippendorff_alpha, 3) AS alpha
FROM article_summary
ORDER BY title
