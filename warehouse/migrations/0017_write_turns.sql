-- One row per kind of write that two processes must not make at once from the same reading
-- (two matches would store the same pairs twice). A write of that kind updates its row in its
-- own transaction: on a DuckLake catalog, where two inserts of the same key never conflict, two
-- such transactions then do (both deleted from this table), and the later one is run again
-- from a fresh read of what the first stored. The DuckDB file has one writer: a plain update.
CREATE TABLE write_turns (
    name VARCHAR PRIMARY KEY,
    taken_at TIMESTAMP
);

INSERT INTO write_turns (name) VALUES ('match');
