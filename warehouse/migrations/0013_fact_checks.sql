-- The desk's memory: published fact-checks (imported, or the desk's own resolved verdicts, as
-- `claimflow export --format claimreview` publishes them) and the claims that match them.

-- One row per review of one claim. The id is a hash of the review's URL and the claim it
-- reviews (claims/factchecks.py): a re-import finds the row, an updated review updates it.
CREATE TABLE fact_checks (
    fact_check_id  VARCHAR PRIMARY KEY,
    claim_reviewed VARCHAR NOT NULL,
    rating         VARCHAR,              -- as published: "Pants on Fire", "Four Pinocchios", "2/5"
    verdict        VARCHAR CHECK (verdict IN ('supported', 'misleading', 'refuted', 'not_enough_info')),
    publisher      VARCHAR,
    publisher_url  VARCHAR,
    url            VARCHAR NOT NULL,     -- the review
    reviewed_at    DATE,
    claim_date     DATE,                 -- when the claim was made, where known
    appearance_url VARCHAR,              -- where the claim was seen
    claim_author   VARCHAR,              -- who made it
    language       VARCHAR,
    title          VARCHAR,              -- the review's headline
    rationale      VARCHAR,              -- why (the review's body, or the desk's annotators' rationale)
    evidence_urls  VARCHAR[],            -- what it rests on
    claim_id       VARCHAR,              -- the desk's own: the claim of this warehouse it reviews
    source         VARCHAR NOT NULL CHECK (source IN ('import', 'desk')),
    origin         VARCHAR,              -- the file and line it was read from
    content_hash   VARCHAR NOT NULL,     -- of every field above: an unchanged re-import writes nothing
    imported_at    TIMESTAMP NOT NULL,
    updated_at     TIMESTAMP NOT NULL
);

-- Each fact-check's claim as the sentence encoder sees it (one row per encoder).
CREATE TABLE fact_check_embeddings (
    fact_check_id VARCHAR NOT NULL,
    encoder       VARCHAR NOT NULL,
    vector        FLOAT[] NOT NULL,
    embedded_at   TIMESTAMP NOT NULL,
    PRIMARY KEY (fact_check_id, encoder)
);

-- The fact-checks that check the same claim as a claim of an article: its best few, ranked.
CREATE TABLE claim_fact_checks (
    claim_id      VARCHAR NOT NULL,
    fact_check_id VARCHAR NOT NULL,
    score         DOUBLE NOT NULL CHECK (score BETWEEN 0 AND 1),
    rank          INTEGER NOT NULL CHECK (rank >= 1),
    features      JSON NOT NULL,          -- what the score rests on (cosine, lexical)
    method        VARCHAR NOT NULL,       -- the lookup's version
    matched_at    TIMESTAMP NOT NULL,
    run_id        VARCHAR,
    PRIMARY KEY (claim_id, fact_check_id)
);

-- What has been looked up, both ways: a claim against the fact-checks there were, a fact-check
-- against the claims there were. A claim or fact-check not here (or changed since) is new.
CREATE TABLE fact_check_lookups (
    kind       VARCHAR NOT NULL CHECK (kind IN ('claim', 'fact_check')),
    id         VARCHAR NOT NULL,
    method     VARCHAR NOT NULL,
    looked_at  TIMESTAMP NOT NULL,
    PRIMARY KEY (kind, id)
);
