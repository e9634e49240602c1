-- The pair loop: candidate contradictions as Label Studio tasks, people's relations for them,
-- and one resolved relation per pair. Raw annotations share annotations_raw (project and task
-- tell them apart) and quarantined rows share labels_quarantine (pair_id set, claim_id NULL).

-- One row per claim pair pushed to a Label Studio project.
CREATE TABLE pair_tasks (
    ls_url        VARCHAR NOT NULL,
    project_id    INTEGER NOT NULL,
    pair_id       VARCHAR NOT NULL,
    task_id       INTEGER NOT NULL,
    pushed_at     TIMESTAMP NOT NULL,
    ls_updated_at TIMESTAMP,          -- the task's updated_at when its annotations were last landed
    run_id        VARCHAR,
    review_mark   VARCHAR,            -- what claimflow last set as data.review in Label Studio
    PRIMARY KEY (ls_url, project_id, pair_id)
);

-- One row per annotation of a pair task that passed the pair_labels suite (the latest version).
CREATE TABLE pair_labels (
    ls_url        VARCHAR NOT NULL,
    annotation_id INTEGER NOT NULL,
    project_id    INTEGER NOT NULL,
    task_id       INTEGER NOT NULL,
    pair_id       VARCHAR,
    annotator_id  INTEGER,
    annotator     VARCHAR,            -- the annotator's email
    relation      VARCHAR,            -- agree, contradict, unrelated, different_event
    rationale     VARCHAR,
    lead_time     DOUBLE,
    created_at    TIMESTAMP,
    updated_at    TIMESTAMP,
    was_cancelled BOOLEAN NOT NULL DEFAULT false,
    deleted       BOOLEAN NOT NULL DEFAULT false,
    deleted_at    TIMESTAMP,
    landed_at     TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    PRIMARY KEY (ls_url, annotation_id)
);

ALTER TABLE labels_quarantine ADD COLUMN pair_id VARCHAR;

-- One row per pair with labels: the resolved relation and how it was reached.
CREATE TABLE pair_verdicts (
    pair_id       VARCHAR PRIMARY KEY,
    relation      VARCHAR,                -- NULL while the pair is open or tied
    status        VARCHAR NOT NULL,       -- open, resolved, needs_review
    method        VARCHAR NOT NULL,       -- majority_vote or dawid_skene
    n_annotations INTEGER NOT NULL,
    votes         MAP(VARCHAR, INTEGER) NOT NULL,
    agreement     DOUBLE NOT NULL,        -- share of the annotations that agree with the relation
    review_reason VARCHAR,
    resolved_at   TIMESTAMP NOT NULL,
    run_id        VARCHAR
);
