-- The version of the newest migration applied.
SELECT max(version) FROM schema_migrations
