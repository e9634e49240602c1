"""Shared fixtures: a temporary DuckDB file, the spaCy pipeline, the sample articles, and a
Prefect home of the test session's own (set before prefect is imported)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

_PREFECT_HOME = tempfile.mkdtemp(prefix="claimflow-prefect-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.pop("PREFECT_API_URL", None)
for _name in [n for n in os.environ if n.startswith("CLAIMFLOW_")]:
    del os.environ[_name]

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "examples" / "articles"


@pytest.fixture
def db_path(tmp_path) -> Path:
    return tmp_path / "warehouse" / "claimflow.duckdb"


@pytest.fixture(scope="session")
def nlp():
    from claims.pipeline import load_pipeline

    return load_pipeline()


@pytest.fixture(scope="session")
def sample_articles():
    from claims.sources import expand_paths, read_articles

    files, errors = expand_paths([SAMPLES])
    assert not errors
    return list(read_articles(files, 2_000_000))


@pytest.fixture(scope="session")
def sample_extractions(nlp, sample_articles):
    from claims.extract import extract

    return list(extract(nlp, sample_articles))


@pytest.fixture(scope="session")
def prefect_server():
    """A temporary Prefect server and database for the whole test session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
