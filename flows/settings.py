"""claimflow's settings: one typed object, read from the environment (and a .env file).

Every setting is an environment variable ``CLAIMFLOW_<NAME>``; commands take ``--db`` and the
like to override them for one call. Nothing here is read at import time.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from claims.pipeline import DEFAULT_MODEL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ARTICLES = PROJECT_ROOT / "examples" / "articles"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMFLOW_", env_file=".env", extra="ignore")

    db: Path = Field(Path("data/claimflow.duckdb"), description="The DuckDB file of the warehouse.")
    spacy_model: str = Field(
        DEFAULT_MODEL, description="spaCy pipeline (package or path); 'blank:en' for a sentencizer only."
    )
    batch_size: int = Field(64, ge=1, description="Texts per nlp.pipe batch.")
    nlp_processes: int = Field(
        0, ge=0, description="Processes for nlp.pipe; 0 picks one for small inputs and every core for large ones."
    )
    max_article_bytes: int = Field(2_000_000, ge=1, description="Larger articles are refused with a message.")
    min_claim_words: int = Field(4, ge=1, description="Sentences with fewer words are not claims.")
    context_sentences: int = Field(1, ge=0, description="Sentences on each side kept as a claim's context.")


def get_settings(**overrides) -> Settings:
    """The settings from the environment, with the non-None ``overrides`` applied."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
