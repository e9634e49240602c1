-- Articles, the claims extracted from them, flow runs and the inputs that failed.

-- One row per article; article_id is a hash of the normalised text.
CREATE TABLE articles (
    article_id   VARCHAR PRIMARY KEY,
    title        VARCHAR,
    url          VARCHAR,
    source       VARCHAR,
    published_at TIMESTAMP,
    text         VARCHAR NOT NULL,   -- the normalised text every offset points into
    n_chars      INTEGER NOT NULL,
    n_words      INTEGER NOT NULL,
    source_path  VARCHAR,            -- the file it was first read from
    source_line  INTEGER,            -- the line, for .jsonl files
    format       VARCHAR,            -- text | markdown | html | jsonl
    ingested_at  TIMESTAMP NOT NULL,
    run_id       VARCHAR
);

-- One row per claim; claim_id is a hash of (article_id, start_char, end_char), and
-- substring(articles.text, start_char + 1, end_char - start_char) = text.
CREATE TABLE claims (
    claim_id      VARCHAR PRIMARY KEY,
    article_id    VARCHAR NOT NULL,
    seq           INTEGER NOT NULL,  -- order of the claim within its article
    start_char    INTEGER NOT NULL,
    end_char      INTEGER NOT NULL,
    text          VARCHAR NOT NULL,
    block_kind    VARCHAR NOT NULL,  -- paragraph | list_item
    score         DOUBLE NOT NULL CHECK (score BETWEEN 0 AND 1),
    claim_type    VARCHAR NOT NULL,
    entities      JSON,              -- [{text, label, start, end}] with offsets into the article
    context_start INTEGER NOT NULL,  -- the claim and its neighbouring sentences
    context_end   INTEGER NOT NULL,
    features      JSON,              -- what the scorer saw
    scorer        VARCHAR NOT NULL,
    model         VARCHAR NOT NULL,  -- the spaCy pipeline, name-version
    extracted_at  TIMESTAMP NOT NULL,
    run_id        VARCHAR
);

-- One row per flow run.
CREATE TABLE runs (
    run_id      VARCHAR PRIMARY KEY,
    flow        VARCHAR NOT NULL,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    status      VARCHAR NOT NULL,    -- running | completed | completed_with_failures | failed
    parameters  JSON,
    counts      JSON,
    message     VARCHAR
);

-- One row per input (file, or line of a .jsonl file) that could not be ingested.
CREATE TABLE ingest_failures (
    run_id    VARCHAR NOT NULL,
    path      VARCHAR NOT NULL,
    line      INTEGER,
    reason    VARCHAR NOT NULL,
    failed_at TIMESTAMP NOT NULL
);
