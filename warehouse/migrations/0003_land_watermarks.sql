-- Up to which task update each project's annotations have been landed (tasks not pushed by
-- claimflow included), so that a land only lists tasks updated since.
CREATE TABLE land_watermarks (
    ls_url     VARCHAR NOT NULL,
    project_id INTEGER NOT NULL,
    updated_at TIMESTAMP NOT NULL,   -- the latest task updated_at seen by a land
    landed_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (ls_url, project_id)
);
