-- Analyst views, recreated after every migration. One statement per view.

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

-- One row per article: how many claims and of which types, and how check-worthy they are.
CREATE OR REPLACE VIEW article_claim_summary AS
WITH claims AS (SELECT * FROM main.claims),
     articles AS (SELECT * FROM main.articles),
     per_article AS (
        SELECT
            article_id,
            count(*) AS claims,
            round(avg(score), 3) AS mean_score,
            count(*) FILTER (WHERE score >= 0.5) AS claims_scoring_0_5_or_more,
            histogram(claim_type) AS claim_types
        FROM claims
        GROUP BY article_id
     )
SELECT
    a.article_id,
    a.title,
    a.source,
    a.published_at,
    a.n_words,
    coalesce(p.claims, 0) AS claims,
    p.mean_score,
    coalesce(p.claims_scoring_0_5_or_more, 0) AS claims_scoring_0_5_or_more,
    p.claim_types,
    a.ingested_at
FROM articles a
LEFT JOIN per_article p USING (article_id);

-- One row per claim: where it is in the loop (not_pushed, pushed, open, resolved, needs_review)
-- and its verdict.
CREATE OR REPLACE VIEW claim_status AS
WITH claims AS (SELECT * FROM main.claims),
     articles AS (SELECT article_id, title, source FROM main.articles),
     -- One task per claim (the first pushed, if it went to several projects or servers),
     -- taken whole so its project and task id belong together.
     tasks AS (SELECT claim_id, project_id, task_id, review_mark FROM main.tasks
               QUALIFY row_number() OVER (PARTITION BY claim_id ORDER BY pushed_at, ls_url, project_id, task_id) = 1),
     labelled AS (SELECT claim_id, count(*) FILTER (WHERE NOT was_cancelled) AS labels,
                         count(*) FILTER (WHERE was_cancelled) AS skipped
                  FROM main.labels WHERE NOT deleted GROUP BY claim_id),
     quarantined AS (SELECT claim_id, count(*) AS quarantined FROM main.labels_quarantine
                     WHERE resolved_at IS NULL GROUP BY claim_id)
SELECT
    c.claim_id,
    c.article_id,
    a.title AS article_title,
    a.source,
    c.text AS claim,
    c.score,
    c.claim_type,
    t.project_id,
    t.task_id,
    CASE WHEN t.task_id IS NULL THEN 'not_pushed'
         WHEN v.status IS NULL THEN 'pushed'
         ELSE v.status END AS status,
    v.verdict,
    v.method,
    v.agreement,
    v.review_reason,
    coalesce(l.labels, 0) AS labels,
    coalesce(l.skipped, 0) AS skipped,
    coalesce(q.quarantined, 0) AS quarantined,
    v.votes,
    v.resolved_at
FROM claims c
JOIN articles a USING (article_id)
LEFT JOIN tasks t USING (claim_id)
LEFT JOIN main.verdicts v USING (claim_id)
LEFT JOIN labelled l USING (claim_id)
LEFT JOIN quarantined q USING (claim_id);

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

-- Resolved verdicts per source (publication), for comparing outlets.
CREATE OR REPLACE VIEW source_summary AS
SELECT
    coalesce(source, '(unknown)') AS source,
    count(DISTINCT article_id) AS articles,
    -- Every count of article_summary, summed (claims, pushed, resolved, ..., not_checkable).
    CAST(sum(COLUMNS(* EXCLUDE (article_id, title, source, published_at, krippendorff_alpha, claims_with_overlap))) AS INTEGER)
FROM main.article_summary
GROUP BY ALL;

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

-- Quarantined label rows by day and failed expectation (a row failing two counts twice).
CREATE OR REPLACE VIEW quarantine_summary AS
WITH reasons AS (
    SELECT CAST(quarantined_at AS DATE) AS day, unnest(reasons) AS reason, resolved_at
    FROM main.labels_quarantine
)
SELECT day, reason, count(*) AS rows, count(*) FILTER (WHERE resolved_at IS NOT NULL) AS resolved_later
FROM reasons
GROUP BY ALL;

-- One row per claim pair (claim_pairs): both claims with their articles and sources, the
-- model's scores, relation and reasons, and where the pair is in the review loop (not_pushed,
-- pushed, open, resolved, needs_review) with the relation people resolved.
CREATE OR REPLACE VIEW pair_overview AS
WITH pairs AS (SELECT * FROM main.claim_pairs),
     claims AS (SELECT claim_id, article_title, coalesce(source, '(no source) ' || left(article_title, 40)) AS source,
                       published_at, url, claim FROM main.claim_overview),
     tasks AS (SELECT pair_id, project_id, task_id FROM main.pair_tasks
               QUALIFY row_number() OVER (PARTITION BY pair_id ORDER BY pushed_at, ls_url, project_id, task_id) = 1)
SELECT
    p.pair_id,
    round(p.similarity, 4) AS similarity,
    round(p.contradiction, 4) AS contradiction,
    p.relation AS model_relation,
    a.claim AS claim_a,
    b.claim AS claim_b,
    a.article_title AS article_a,
    b.article_title AS article_b,
    a.source AS source_a,
    b.source AS source_b,
    a.published_at AS published_a,
    b.published_at AS published_b,
    p.reasons,
    t.project_id,
    t.task_id,
    CASE WHEN t.task_id IS NULL THEN 'not_pushed'
         WHEN v.status IS NULL THEN 'pushed'
         ELSE v.status END AS status,
    v.relation AS resolved_relation,
    v.agreement,
    v.votes,
    p.claim_id_a,
    p.claim_id_b,
    p.matcher
FROM pairs p
JOIN claims a ON a.claim_id = p.claim_id_a
JOIN claims b ON b.claim_id = p.claim_id_b
LEFT JOIN tasks t USING (pair_id)
LEFT JOIN main.pair_verdicts v USING (pair_id);

-- Pairs that may contradict, likeliest first: every pair people have not resolved as something
-- else (filter on contradiction; `claimflow push` sends those at CLAIMFLOW_PAIR_PUSH_THRESHOLD).
CREATE OR REPLACE VIEW candidate_contradictions AS
SELECT * FROM main.pair_overview
WHERE resolved_relation IS NULL OR resolved_relation = 'contradict'
ORDER BY contradiction DESC, pair_id;

-- Pairs people resolved as contradicting each other.
CREATE OR REPLACE VIEW confirmed_contradictions AS
SELECT * FROM main.pair_overview
WHERE status = 'resolved' AND resolved_relation = 'contradict'
ORDER BY contradiction DESC, pair_id;

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
