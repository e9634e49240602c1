"""claimflow's settings: one typed object, read from the environment (and a .env file).

Every setting is an environment variable ``CLAIMFLOW_<NAME>``; commands take ``--db`` and the
like to override them for one call. Nothing here is read at import time.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from claims import DEFAULT_MODEL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ARTICLES = PROJECT_ROOT / "examples" / "articles"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLAIMFLOW_", env_file=".env", extra="ignore")

    db: Path | str = Field(
        Path("data/claimflow.duckdb"), repr=False,
        description="The warehouse: a DuckDB file, or a DuckLake catalog on PostgreSQL "
        "('ducklake:postgres:dbname=D host=H port=P user=U password=W').",
    )
    ducklake_data_path: Path | None = Field(
        None, description="Folder of the Parquet data files of a DuckLake warehouse (needed when its catalog is created).",
    )
    ducklake_conflict_retries: int = Field(
        6, ge=1, description="Tries of a DuckLake write that conflicts with another writer's before it fails.",
    )
    spacy_model: str = Field(
        DEFAULT_MODEL, description="spaCy pipeline (package or path); 'blank:en' for a sentencizer only."
    )
    batch_size: int = Field(64, ge=1, description="Texts per nlp.pipe batch.")
    nlp_processes: int = Field(
        0, ge=0, description="Processes for nlp.pipe; 0 picks one for small inputs and every core for large ones."
    )
    max_article_bytes: int = Field(2_000_000, ge=1, description="Larger articles are refused with a message.")
    max_article_lines: int = Field(
        20_000, ge=1, description="Articles with more non-empty lines are refused with a message (each line is a text for spaCy)."
    )
    min_claim_words: int = Field(4, ge=1, description="Sentences with fewer words are not claims.")
    context_sentences: int = Field(1, ge=0, description="Sentences on each side kept as a claim's context.")
    scorer: str = Field(
        "model",
        description="Check-worthiness scorer: 'model' (check-worthiness v2, the fine-tuned encoder shipped in "
        "claims/models/checkworthy-minilm), 'tfidf' (the TF-IDF model in claims/models/checkworthy), the folder of "
        "a model made by `claimflow train`, or 'rules-v1' (the hand-set rules).",
    )
    # Training: the venv `claimflow train` fine-tunes the check-worthiness encoder in (torch is not in the pipeline's venv).
    train_venv: Path = Field(
        PROJECT_ROOT / ".venv-train",
        description="The training venv (torch, transformers) that `claimflow train` sets up from training/requirements.lock.",
    )

    # Label Studio: an external server when both are set, else the local embedded one.
    ls_url: str | None = Field(
        None, validation_alias=AliasChoices("LABEL_STUDIO_URL", "CLAIMFLOW_LS_URL"), description="External Label Studio URL."
    )
    ls_api_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("LABEL_STUDIO_API_KEY", "CLAIMFLOW_LS_API_KEY"),
        description="Its API token: a legacy token or a personal access token.",
    )
    ls_port: int = Field(8080, ge=1, le=65535, description="Port of the local Label Studio (bound to 127.0.0.1).")
    ls_data_dir: Path = Field(Path("data/labelstudio"), description="Database, media and credentials of the local Label Studio.")
    ls_venv: Path = Field(PROJECT_ROOT / ".venv-labelstudio", description="The venv the local Label Studio runs from.")
    ls_start_timeout: float = Field(240.0, gt=0, description="Seconds to wait for the local Label Studio to answer.")
    ls_project: str = Field("claimflow claims", min_length=1, max_length=50, description="Title of the Label Studio project for claims.")
    push_threshold: float = Field(
        0.4, ge=0, le=1,
        description="Claims scoring at least this become tasks (the shipped encoder's own threshold is 0.376, the TF-IDF model's 0.396).",
    )
    push_batch_size: int = Field(1000, ge=1, description="Tasks per import call.")
    ls_retries: int = Field(3, ge=0, description="Retries of a Label Studio call that failed with a connection error or 5xx.")
    ls_retry_delay: float = Field(2.0, ge=0, description="Seconds before the first retry; doubled for each next one.")

    # Quality gates and resolution.
    max_quarantine_share: float = Field(
        0.25, ge=0, le=1,
        description="A land fails (after keeping every row) when more than this share of its batch is quarantined.",
    )
    overlap: int = Field(2, ge=1, description="Annotators each claim needs; claims with fewer stay open. Set on the project too.")
    min_agreement: float = Field(
        0.6, ge=0, le=1, description="Claims where a smaller share of annotators agrees with the verdict need review."
    )
    dawid_skene_min_claims: int = Field(
        50, ge=1, description="Claims with full overlap needed before Dawid-Skene replaces the majority vote."
    )

    # Matching claims across articles, and the pair project where people judge possible contradictions.
    encoder: str = Field(
        "minilm-l6-int8",
        description="Sentence encoder for matching: 'minilm-l6-int8' (all-MiniLM-L6-v2, int8 ONNX) or a folder with "
        "model.onnx and tokenizer.json.",
    )
    encoder_threads: int = Field(0, ge=0, description="onnxruntime threads for the encoder; 0 lets onnxruntime choose.")
    embed_batch_size: int = Field(1024, ge=1, description="Claims embedded and written per step (a crash keeps what was written).")
    matcher: str = Field(
        "model", description="Pair scorer: 'model' (shipped in claims/models/matcher) or a folder made by `claimflow train-matcher`."
    )
    nli: str = Field(
        "model", description="NLI cross-encoder for contradictions: 'model' (shipped in claims/models/nli) or a folder with "
        "model.onnx and nli.json.",
    )
    match_per_article: int = Field(
        3, ge=1, description="Claim pairs the NLI model reads in each related article pair: the closest, and as many "
        "more with an antonym or negation cue (a claim of the longer article in one of them at most).",
    )
    match_max_related: int = Field(
        50, ge=1, description="Related articles each article is aligned with, at most (the most related): with "
        "match_per_article, the bound on the pairs read per article.",
    )
    match_min_cosine: float = Field(
        0.3, ge=-1, le=1, description="Aligned claim pairs less alike than this sentence cosine are not read by the NLI model "
        "(claims that far apart rarely speak of one fact), except the closest pair of each related article pair.",
    )
    match_min_similarity: float = Field(
        0.5, ge=0, le=1, description="Pairs less similar than this are not kept, unless they reach match_min_contradiction."
    )
    match_min_contradiction: float = Field(
        0.3, ge=0, le=1, description="Pairs that contradict at least this much are kept (and each related article pair's "
        "most contradicting pair).",
    )
    factcheck_top: int = Field(5, ge=1, description="Fact-checks kept per claim, at most (the best matches).")
    factcheck_min_score: float = Field(
        0.5, ge=0, le=1, description="Fact-check matches scoring less than this are not kept.",
    )
    factcheck_predict_score: float = Field(
        0.8, ge=0, le=1, description="A claim task's best fact-check match scoring this or more pre-selects its verdict.",
    )
    factcheck_candidates: int = Field(
        30, ge=1, description="Fact-checks each claim's lookup scores: this many closest by meaning and as many by words.",
    )
    pair_push_threshold: float = Field(
        0.5, ge=0, le=1, description="Pairs whose contradiction reaches this become tasks in the pair project."
    )
    ls_pair_project: str = Field(
        "claimflow pairs", min_length=1, max_length=50, description="Title of the Label Studio project for claim pairs."
    )

    # Checks on what comes in: the quarantine limit of a land, the languages processed, the share of a page extracted.
    quarantine_min_rows: int = Field(
        10, ge=0,
        description="The share limit (CLAIMFLOW_MAX_QUARANTINE_SHARE) fails a land only when it newly quarantines at least "
        "this many rows; fewer are reported one by one and the land succeeds.",
    )
    languages: str = Field(
        "en", description="Languages (ISO 639-1 codes, comma-separated) whose articles are split into claims."
    )
    other_languages: Literal["skip", "keep"] = Field(
        "skip",
        description="What happens to an article in another language: 'skip' (not landed; recorded in ingest_failures "
        "as skipped) or 'keep' (landed with its language, without claims).",
    )
    min_extraction_share: float = Field(
        0.2, ge=0, le=1,
        description="An HTML page whose extracted article keeps less than this share of the page's text is ingested "
        "with a warning (the extractor may have missed the article).",
    )

    @field_validator("db", mode="before")
    @classmethod
    def _file_or_catalog(cls, value):
        """A ``ducklake:`` string stays a string; anything else is a file path."""
        text = str(value)
        return text if text.startswith("ducklake:") else Path(text)

    @property
    def db_is_lake(self) -> bool:
        """Whether the warehouse is a DuckLake catalog (several writers, no file)."""
        return isinstance(self.db, str)

    @property
    def db_name(self) -> str:
        """The warehouse as messages name it (a DuckLake catalog's password masked)."""
        from warehouse.masking import mask

        return mask(str(self.db))

    @property
    def db_parameter(self) -> str | None:
        """``db`` as a flow's parameter: Prefect records flow parameters (and shows them), so a
        DuckLake catalog, whose string holds a password, is passed as None and read from
        CLAIMFLOW_DB in the environment instead."""
        return None if self.db_is_lake else str(self.db)

    @property
    def data_dir(self) -> Path:
        """The folder of the warehouse file (for a DuckLake warehouse, data/): the command log's default place."""
        return Path("data") if self.db_is_lake else Path(self.db).parent

    @property
    def language_set(self) -> frozenset[str]:
        return frozenset(code.strip().lower() for code in self.languages.split(",") if code.strip())

    @model_validator(mode="after")
    def _two_projects(self) -> "Settings":
        if self.ls_pair_project == self.ls_project:
            raise ValueError("CLAIMFLOW_LS_PAIR_PROJECT must differ from CLAIMFLOW_LS_PROJECT (claims and pairs need projects of their own)")
        return self

    # Running unattended: the local Prefect server, scheduled runs (`claimflow serve`), webhooks, exports,
    # and the task runner of the extraction.
    prefect_port: int = Field(4200, ge=1, le=65535, description="Port of the local Prefect server (bound to 127.0.0.1).")
    prefect_data_dir: Path = Field(Path("data/prefect"), description="Database and log of the local Prefect server.")
    prefect_start_timeout: float = Field(120.0, gt=0, description="Seconds to wait for the local Prefect server to answer.")
    # The private PostgreSQL (`claimflow postgres start`) and what runs on it.
    servers_database: Literal["sqlite", "postgres"] = Field(
        "sqlite", description="Where the local Label Studio and Prefect server keep their data: 'sqlite' (a file in "
        "each data folder) or 'postgres' (databases of the local PostgreSQL, started with them).",
    )
    postgres_port: int = Field(5433, ge=1, le=65535, description="Port of the local PostgreSQL (bound to 127.0.0.1).")
    postgres_data_dir: Path = Field(
        Path("data/postgres"), description="Cluster, password files and log of the local PostgreSQL.",
    )
    postgres_user: str = Field("claimflow", pattern=r"^[a-z_][a-z0-9_]*$", description="Superuser of the local PostgreSQL.")
    postgres_bin: Path | None = Field(
        None, description="Folder of PostgreSQL's programs (initdb, pg_ctl); default: the newest /usr/lib/postgresql/*/bin.",
    )
    postgres_start_timeout: float = Field(60.0, gt=0, description="Seconds to wait for the local PostgreSQL to accept connections.")
    inbox: Path = Field(Path("data/inbox"), description="Folder `claimflow serve` ingests new article files from.")
    inbox_settle_seconds: float = Field(
        2.0, ge=0, description="An inbox file is read once two runs at least this far apart have seen it with the same "
        "size and modification time (it may still be written until then); 0 reads it at once."
    )
    schedule_ingest: str = Field("300", description="Schedule of the inbox ingest: seconds between runs, a cron line, or 'off'.")
    schedule_push: str = Field("300", description="Schedule of the push: seconds, a cron line, or 'off'.")
    schedule_match: str = Field("300", description="Schedule of the match (new claims paired across articles): seconds, a cron line, or 'off'.")
    schedule_land: str = Field("600", description="Schedule of the land (with resolve): seconds, a cron line, or 'off'.")
    schedule_morning: str = Field(
        "0 6 * * *", description="Schedule of the morning list (the day's most check-worthy new claims): seconds, a cron line, or 'off'.",
    )
    morning_claims: int = Field(30, ge=1, description="Claims on a morning list, at most.")
    report_dir: Path = Field(Path("data/report"), description="Folder of the morning list's pages (and the report's default).")
    writer_timeout: float = Field(600.0, gt=0, description="Seconds a flow waits for the warehouse's writer slot before it fails.")
    writer_lease_seconds: float = Field(
        60.0, ge=60,
        description="Lease of the writer slot (Prefect's minimum is 60 s), renewed while the flow runs; a killed flow's slot "
        "frees after it.",
    )
    webhook_port: int = Field(8090, ge=1, le=65535, description="Port of the webhook receiver of `claimflow serve` (127.0.0.1).")
    webhook_url: str | None = Field(
        None, description="URL Label Studio calls; default http://127.0.0.1:<webhook port>/webhook ('off': no webhooks)."
    )
    webhook_secret: SecretStr | None = Field(
        None, description="Shared secret Label Studio sends in the X-Claimflow-Secret header; default: a new one per serve."
    )
    webhook_debounce: float = Field(0.5, ge=0, description="Seconds a webhook waits for more before it starts a land.")
    task_runner: Literal["default", "dask"] = Field(
        "default", description="Task runner of the extraction and the match's embedding: 'default' (this machine's "
        "processes) or 'dask' (prefect-dask; see CLAIMFLOW_DASK_ADDRESS)."
    )
    dask_address: str | None = Field(None, description="Scheduler of a running Dask cluster; default: a LocalCluster per ingest or match.")
    dask_chunk_articles: int = Field(50, ge=1, description="Articles per Dask task.")
    dask_connect_timeout: float = Field(
        10.0, gt=0, description="Seconds to wait for the scheduler at CLAIMFLOW_DASK_ADDRESS to answer before failing."
    )
    claimreview_organization: str = Field("claimflow", description="The publishing organisation, author of every ClaimReview.")
    claimreview_organization_url: str | None = Field(None, description="Its web site, in the ClaimReview author.")
    claimreview_base_url: str = Field(
        "https://claimflow.example/claims/", description="A ClaimReview's url is this plus the claim id (the default is a "
        "placeholder: `claimflow export --format claimreview` warns until it is set).",
    )

    @field_validator("schedule_ingest", "schedule_match", "schedule_push", "schedule_land", "schedule_morning")
    @classmethod
    def _schedule(cls, value: str) -> str:
        value = value.strip()
        if value.lower() in ("off", "") or value.replace(".", "", 1).isdigit() or len(value.split()) == 5:
            return value
        raise ValueError("must be seconds between runs, a five-field cron line, or 'off'")

    # Reliability and containment: waiting for a locked warehouse, the log file, requests at once to Label Studio.
    db_lock_wait: float = Field(
        5.0, ge=0, description="Seconds to wait for a warehouse another process holds open for writing before failing.",
    )
    log_file: Path | None = Field(
        None, description="Where commands log, tracebacks included (default: claimflow.log beside the warehouse).",
    )
    ls_concurrency: int = Field(8, ge=1, le=64, description="Requests at once to Label Studio for per-task updates (review marks).")

    @property
    def log_path(self) -> Path:
        return self.log_file or self.data_dir / "claimflow.log"

    @model_validator(mode="after")
    def _external_label_studio_complete(self) -> "Settings":
        if bool(self.ls_url) != bool(self.ls_api_key and self.ls_api_key.get_secret_value()):
            given, missing = ("LABEL_STUDIO_URL", "LABEL_STUDIO_API_KEY") if self.ls_url else ("LABEL_STUDIO_API_KEY", "LABEL_STUDIO_URL")
            raise ValueError(
                f"{given} is set without {missing}: set both for an external Label Studio, or neither for the local one"
            )
        return self

    @field_validator("ls_url")
    @classmethod
    def _no_credentials_in_url(cls, value: str | None) -> str | None:
        if value and (urlsplit(value).username or urlsplit(value).password):
            raise ValueError("must not carry a user or password; put the token in LABEL_STUDIO_API_KEY")
        return value.rstrip("/") if value else value

    @property
    def uses_local_label_studio(self) -> bool:
        return not (self.ls_url and self.ls_api_key)


_from_environment: tuple[tuple, Settings] | None = None
# The environment variables the settings read: CLAIMFLOW_*, and LABEL_STUDIO_URL / _API_KEY.
_READ = ("CLAIMFLOW_", "LABEL_STUDIO_")


def get_settings(**overrides) -> Settings:
    """The settings from the environment, with the non-None ``overrides`` applied. The
    warehouse's connections wait for a lock as long as they say.

    Reading them takes about 50 ms (every variable, the .env file, validation), and a command
    reads them more than once (the command, then each flow it runs, with the command's values as
    overrides): while the environment, the working folder and the .env file are as they were,
    a copy of the settings last read without overrides is returned for overrides that change
    none of its values."""
    global _from_environment
    from warehouse import db

    given = {k: v for k, v in overrides.items() if v is not None}
    key = (tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(_READ))), os.getcwd(), _file_stamp(".env"))
    known = _from_environment[1] if _from_environment is not None and _from_environment[0] == key else None
    if known is not None and all(_same(getattr(known, k, _MISSING), v) for k, v in given.items()):
        settings = known.model_copy(deep=True)
    else:
        settings = Settings(**given)
        if not given:
            _from_environment = (key, settings.model_copy(deep=True))
    db.set_lock_wait(settings.db_lock_wait)
    db.set_data_path(settings.ducklake_data_path)
    db.lake.set_conflict_retries(settings.ducklake_conflict_retries)
    return settings


def _file_stamp(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_mtime_ns, st.st_size


_MISSING = object()


def _same(value, given) -> bool:
    """Whether an override says what the settings hold already (a path given as text too)."""
    if value is _MISSING:
        return False
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    return value == given or (isinstance(value, Path) and str(value) == str(given))
