-- The Label Studio loop: which claim is which task, the raw annotations pulled, the labels.

-- One row per claim pushed to a Label Studio project.
CREATE TABLE tasks (
    ls_url        VARCHAR NOT NULL,   -- the server, without credentials
    project_id    INTEGER NOT NULL,
    claim_id      VARCHAR NOT NULL,
    task_id       INTEGER NOT NULL,
    pushed_at     TIMESTAMP NOT NULL,
    ls_updated_at TIMESTAMP,          -- the task's updated_at when its annotations were last landed
    run_id        VARCHAR,
    PRIMARY KEY (ls_url, project_id, claim_id)
);

-- Append-only: every annotation as pulled, its JSON exactly as Label Studio gave it.
CREATE TABLE annotations_raw (
    pulled_at     TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    ls_url        VARCHAR NOT NULL,
    project_id    INTEGER NOT NULL,
    task_id       INTEGER NOT NULL,
    annotation_id INTEGER,
    updated_at    TIMESTAMP,
    payload       JSON NOT NULL
);

-- One row per annotation (the latest version landed); deleted in Label Studio = deleted here.
CREATE TABLE labels (
    ls_url        VARCHAR NOT NULL,
    annotation_id INTEGER NOT NULL,
    project_id    INTEGER NOT NULL,
    task_id       INTEGER NOT NULL,
    claim_id      VARCHAR,
    annotator_id  INTEGER,
    annotator     VARCHAR,            -- the annotator's email
    verdict       VARCHAR,
    confidence    INTEGER,            -- 1 (a guess) to 5 (certain)
    rationale     VARCHAR,
    evidence_urls VARCHAR[],
    lead_time     DOUBLE,             -- seconds spent on the task
    created_at    TIMESTAMP,
    updated_at    TIMESTAMP,
    was_cancelled BOOLEAN NOT NULL DEFAULT false,
    deleted       BOOLEAN NOT NULL DEFAULT false,
    deleted_at    TIMESTAMP,
    landed_at     TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    PRIMARY KEY (ls_url, annotation_id)
);
