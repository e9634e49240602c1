"""The DuckDB warehouse: numbered SQL migrations, idempotent loads, analyst views.

Plain Python over DuckDB; SQL lives in ``migrations/`` (applied once each, in order) and
``sql/`` in layers: ``staging/`` (loads and upserts), ``marts/`` (analyst views, one a file),
``queries/`` (what the flows read) and ``report/``. Imports no other claimflow package but
``claims.normalize`` (pure text and URL helpers).
"""
