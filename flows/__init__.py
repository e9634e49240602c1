"""Prefect flows and the command line: the only package that orchestrates the others.

Importing it sets Prefect defaults suited to a local, offline machine, unless the environment
already says otherwise: no analytics, and a generous start-up time for the temporary server
Prefect starts when PREFECT_API_URL is not set.
"""

import os

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_CLOUD_ENABLE_ORCHESTRATION_TELEMETRY", "false")
