-- One row per claim with its article's title and source and its context text.
CREATE OR REPLACE VIEW claim_overview AS
WITH claims AS (SELECT * FROM main.claims),
     articles AS (SELECT article_id, title, source, url, published_at, text FROM main.articles)
SELECT
    c.claim_id,
    c.article_id,
    a.title AS article_title,
    a.source,
    a.url,
    a.published_at,
    c.seq,
    c.text AS claim,
    c.score,
    c.claim_type,
    c.block_kind,
    substring(a.text, c.context_start + 1, c.context_end - c.context_start) AS context,
    c.start_char - c.context_start AS claim_start_in_context,
    c.end_char - c.context_start AS claim_end_in_context,
    c.entities,
    c.scorer,
    c.model,
    c.extracted_at
FROM claims c
JOIN articles a USING (article_id);
