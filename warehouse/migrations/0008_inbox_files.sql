-- The files `claimflow serve` ingested from its inbox folder. One row per version of a
-- file (path, size, modification time): a file is read again only when it changes.
CREATE TABLE inbox_files (
    path      VARCHAR NOT NULL,    -- absolute
    size      BIGINT NOT NULL,
    mtime_ns  BIGINT NOT NULL,
    run_id    VARCHAR NOT NULL,    -- the ingest run that read it
    status    VARCHAR NOT NULL,    -- ingested | failed (its reasons are in ingest_failures)
    reason    VARCHAR,
    seen_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (path, size, mtime_ns)
);
