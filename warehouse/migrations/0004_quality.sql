-- Quality gates and resolution: quarantined label rows, one verdict per claim, agreement.

-- Label rows that failed the expectation suites (or could not be read at all). The raw
-- annotation stays in annotations_raw; a row fixed in Label Studio lands on a later run and
-- its quarantine row gets resolved_at.
CREATE TABLE labels_quarantine (
    quarantine_id  VARCHAR PRIMARY KEY,   -- hash of server, task and raw payload: a re-pull adds no row
    ls_url         VARCHAR NOT NULL,
    project_id     INTEGER NOT NULL,
    task_id        INTEGER NOT NULL,
    annotation_id  INTEGER,               -- NULL when the payload had no readable id
    claim_id       VARCHAR,
    updated_at     TIMESTAMP,             -- the annotation's updated_at, when readable
    run_id         VARCHAR NOT NULL,      -- the land run (batch) that quarantined it
    quarantined_at TIMESTAMP NOT NULL,
    reasons        VARCHAR[] NOT NULL,    -- every failed expectation or check, by name
    label_row      JSON,                  -- the flattened row as validated (NULL if unreadable)
    payload        JSON NOT NULL,         -- the annotation as pulled
    resolved_at    TIMESTAMP              -- when a later version of the annotation landed
);

-- One row per claim that has labels: the resolved verdict and how it was reached.
CREATE TABLE verdicts (
    claim_id      VARCHAR PRIMARY KEY,
    verdict       VARCHAR,                -- NULL while the claim is open
    status        VARCHAR NOT NULL,       -- open (fewer annotations than the overlap), resolved, needs_review
    method        VARCHAR NOT NULL,       -- majority_vote or dawid_skene
    n_annotations INTEGER NOT NULL,       -- live, submitted annotations with a valid verdict
    votes         MAP(VARCHAR, INTEGER) NOT NULL,
    agreement     DOUBLE NOT NULL,        -- share of the annotations that agree with the verdict
    review_reason VARCHAR,                -- tie or low_agreement when status = needs_review
    resolved_at   TIMESTAMP NOT NULL,
    run_id        VARCHAR
);

-- Krippendorff's alpha (nominal) over verdicts, per project and per article.
CREATE TABLE agreement (
    scope         VARCHAR NOT NULL,       -- project or article
    scope_id      VARCHAR NOT NULL,       -- '<ls_url> <project id>' or the article id
    alpha         DOUBLE,                 -- NULL when no claim has two annotations
    n_claims      INTEGER NOT NULL,       -- claims with at least two annotations
    n_annotations INTEGER NOT NULL,
    computed_at   TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    PRIMARY KEY (scope, scope_id)
);

-- Pairwise agreement between annotators on the claims both judged.
CREATE TABLE annotator_pairs (
    annotator_a   VARCHAR NOT NULL,
    annotator_b   VARCHAR NOT NULL,
    n_common      INTEGER NOT NULL,
    agreement     DOUBLE NOT NULL,        -- share of common claims with the same verdict
    cohen_kappa   DOUBLE,                 -- NULL where undefined (a single verdict used by both)
    computed_at   TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    PRIMARY KEY (annotator_a, annotator_b)
);

-- What claimflow last marked on the task in Label Studio (data.review), so marks change only
-- when a verdict's status does.
ALTER TABLE tasks ADD COLUMN review_mark VARCHAR;
