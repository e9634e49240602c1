"""The DuckDB warehouse: numbered SQL migrations, idempotent loads, analyst views.

Plain Python over DuckDB; SQL lives in ``migrations/`` (applied once each, in order) and
``sql/`` (statements and views). Imports none of claimflow's other packages.
"""
