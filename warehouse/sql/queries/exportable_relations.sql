-- Every table and view of the warehouse an export writes, from DuckDB's catalog, so
-- new ones are exported without a change here; the bookkeeping (migrations, views, write
-- turns) is left out.
SELECT table_name, table_type
FROM information_schema.tables
WHERE table_catalog = current_database()
  AND table_schema = 'main'
  AND table_name NOT IN ('schema_migrations', 'schema_views', 'write_turns')
ORDER BY table_type, table_name
