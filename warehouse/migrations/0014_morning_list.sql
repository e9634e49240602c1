-- The desk's morning list: each day, the most check-worthy new claims grouped by story, each
-- marked "checked before" or "other sources say otherwise" where it applies.

-- One row per claim on a day's list; a list made again for its day replaces that day's rows.
CREATE TABLE morning_list (
    list_date         DATE NOT NULL,
    story             INTEGER NOT NULL,     -- 1 = the story of the day's most check-worthy claim
    story_articles    INTEGER NOT NULL,     -- articles of the story (related articles, all days)
    rank              INTEGER NOT NULL,     -- the claim's place on the list
    claim_id          VARCHAR NOT NULL,
    claim             VARCHAR NOT NULL,
    score             DOUBLE NOT NULL,      -- check-worthiness
    article_id        VARCHAR NOT NULL,
    article_title     VARCHAR,
    source            VARCHAR,
    published_at      TIMESTAMP,
    checked_rating    VARCHAR,              -- checked before: the best fact-check match's rating
    checked_verdict   VARCHAR,
    checked_publisher VARCHAR,
    checked_url       VARCHAR,
    checked_score     DOUBLE,
    says_otherwise    BOOLEAN NOT NULL,     -- a claim of another article may contradict it
    otherwise_claim   VARCHAR,              -- the likeliest such claim
    otherwise_source  VARCHAR,
    contradiction     DOUBLE,
    generated_at      TIMESTAMP NOT NULL,
    run_id            VARCHAR,
    PRIMARY KEY (list_date, claim_id)
);
