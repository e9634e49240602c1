-- The articles table `claimflow run` prints at its end: one row per article, by title.
SELECT s.title, s.claims, c.mean_score, s.pushed, s.resolved, s.needs_review
FROM article_summary s
JOIN article_claim_summary c USING (article_id)
ORDER BY s.title
