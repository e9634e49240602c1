-- Claim matching: every claim's embedding (computed once per encoder), each article's title
-- embedding and event years, which claims were matched, and the pairs found.

-- One row per claim and encoder: the claim's sentence embedding (unit length).
CREATE TABLE claim_embeddings (
    claim_id    VARCHAR NOT NULL,
    encoder     VARCHAR NOT NULL,      -- name@sha256 prefix of the model file
    embedding   FLOAT[] NOT NULL,
    embedded_at TIMESTAMP NOT NULL,
    run_id      VARCHAR,
    PRIMARY KEY (claim_id, encoder)
);

-- One row per article and encoder: its title's embedding, and the years its event belongs to
-- (named in the title or first paragraph, else the year it was published; empty if neither).
CREATE TABLE article_embeddings (
    article_id      VARCHAR NOT NULL,
    encoder         VARCHAR NOT NULL,
    title_embedding FLOAT[] NOT NULL,
    event_years     INTEGER[] NOT NULL,
    embedded_at     TIMESTAMP NOT NULL,
    run_id          VARCHAR,
    PRIMARY KEY (article_id, encoder)
);

-- One row per claim that was matched against the claims of other articles (a re-run matches
-- only the claims not here).
CREATE TABLE matched_claims (
    claim_id   VARCHAR PRIMARY KEY,
    matcher    VARCHAR NOT NULL,
    encoder    VARCHAR NOT NULL,
    matched_at TIMESTAMP NOT NULL,
    run_id     VARCHAR
);

-- One row per unordered pair of claims from different articles (claim_id_a < claim_id_b).
CREATE TABLE claim_pairs (
    pair_id       VARCHAR PRIMARY KEY,   -- hash of the two claim ids in order
    claim_id_a    VARCHAR NOT NULL,
    claim_id_b    VARCHAR NOT NULL,
    article_id_a  VARCHAR NOT NULL,
    article_id_b  VARCHAR NOT NULL,
    similarity    DOUBLE NOT NULL CHECK (similarity BETWEEN 0 AND 1),     -- same story, same event
    contradiction DOUBLE NOT NULL CHECK (contradiction BETWEEN 0 AND 1),  -- cannot both be true
    relation      VARCHAR NOT NULL,      -- the model's: agree, contradict, unrelated, different_event
    cosine        DOUBLE NOT NULL,       -- of the two sentence embeddings
    reasons       JSON NOT NULL,         -- [{cue, detail, score, weight}]: why, for people
    features      JSON NOT NULL,         -- every feature the scores rest on, by name
    matcher       VARCHAR NOT NULL,      -- the matcher's version
    encoder       VARCHAR NOT NULL,
    matched_at    TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    CHECK (claim_id_a < claim_id_b),
    CHECK (article_id_a <> article_id_b)
);
