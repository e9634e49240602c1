"""The ingest flow: read articles, extract claims in batches with nlp.pipe, validate, store them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from claims.errors import OffsetError
from claims.language import UNDETERMINED
from claims.sources import Article, Skipped, SourceError, iter_inputs, read_articles, with_language
from flows.cluster import dask_runner, run_on_cluster
from flows.runs import this_run
from flows.settings import Settings
from warehouse import load
from warehouse.db import connection, writing

if TYPE_CHECKING:  # spaCy, pandas and pyarrow take seconds to import: only where there is work
    from claims.extract import Extraction

# Below this many new articles one process is faster than starting workers.
PARALLEL_FROM = 200


@dataclass
class IngestReport:
    run_id: str
    db: str
    files: int = 0
    articles_read: int = 0
    articles_new: int = 0
    articles_known: int = 0
    claims_new: int = 0
    sentences: int = 0
    words: int = 0
    failures: list[dict] = field(default_factory=list)
    skipped: list[dict] = field(default_factory=list)  # left out on purpose (a language not processed)
    passed_over: list[dict] = field(default_factory=list)  # not read on purpose: link loops, files of other types
    warnings: list[str] = field(default_factory=list)  # landed, but worth a look (a page that shrank)
    boilerplate_lines: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def status(self) -> str:
        return "completed" if self.ok else "completed_with_failures"

    def counts(self) -> dict:
        return {
            "files": self.files,
            "articles_read": self.articles_read,
            "articles_new": self.articles_new,
            "articles_known": self.articles_known,
            "claims_new": self.claims_new,
            "sentences": self.sentences,
            "boilerplate_lines": self.boilerplate_lines,
            "failures": len(self.failures),
            "skipped": len(self.skipped),
            "passed_over": len(self.passed_over),
            "warnings": len(self.warnings),
        }


def _failure(err: SourceError) -> dict:
    return {"path": err.path, "line": err.line, "reason": err.reason}


def nlp_processes(settings: Settings, articles: int) -> int:
    """The setting, or else one process for small inputs and every core for large ones."""
    if settings.nlp_processes:
        return settings.nlp_processes
    return 1 if articles < PARALLEL_FROM else os.cpu_count() or 1


@task(cache_policy=NO_CACHE)
def read_inputs(paths: list[str], max_bytes: int, max_lines: int) -> tuple[int, list[Article], list[dict], list[dict]]:
    """Expand the paths and read every article as its file is found; return (files, articles,
    failures, passed over). Languages are told later, for the new articles only."""
    logger = get_run_logger()
    articles: list[Article] = []
    failures: list[dict] = []
    passed_over: list[dict] = []
    files = 0

    def found() -> Iterator[Path]:
        nonlocal files
        for item in iter_inputs(paths):
            if isinstance(item, Path):
                files += 1
                yield item
            elif isinstance(item, Skipped):
                passed_over.append({"path": item.path, "reason": item.reason})
                logger.warning("passed over %s", item)
            else:
                failures.append(_failure(item))
                logger.warning("failed %s", item)

    for item in read_articles(found(), max_bytes, max_lines, languages=False):
        if isinstance(item, SourceError):
            failures.append(_failure(item))
            logger.warning("failed %s", item)
        else:
            articles.append(item)
    return files, articles, failures, passed_over


# Pages with less text than this are not compared with what extraction kept.
MIN_PAGE_CHARS = 500


@task(cache_policy=NO_CACHE)
def route_languages(articles: list[Article], settings: Settings) -> tuple[list[Article], list[Article], list[dict]]:
    """Tell the articles' language and split them by it: those to extract claims from (a language
    of CLAIMFLOW_LANGUAGES, or one that could not be told), those landed without claims
    (CLAIMFLOW_OTHER_LANGUAGES=keep), and the skipped ones as ingest_failures rows of kind 'skipped'."""
    wanted = settings.language_set
    process, keep, skipped = [], [], []
    for a in map(with_language, articles):
        if a.language in wanted or a.language == UNDETERMINED:
            process.append(a)
        elif settings.other_languages == "keep":
            keep.append(a)
        else:
            skipped.append({"path": a.source_path, "line": a.source_line, "kind": "skipped",
                            "reason": f"written in {a.language!r}, not in CLAIMFLOW_LANGUAGES ({settings.languages}); "
                                      "set CLAIMFLOW_OTHER_LANGUAGES=keep to land it without claims"})
    if skipped or keep:
        get_run_logger().info("languages: %d processed, %d kept without claims, %d skipped", len(process), len(keep), len(skipped))
    return process, keep, skipped


def extraction_warnings(extractions: list[Extraction], min_share: float) -> list[str]:
    """A line for each HTML article that kept much less of its page's text than ``min_share``:
    the extractor may have taken a caption or a teaser for the article."""
    found = []
    for ex in extractions:
        a = ex.article
        if a.page_chars and a.page_chars >= MIN_PAGE_CHARS and len(a.text) < min_share * a.page_chars:
            found.append(
                f"{a.source_path}: the article kept {len(a.text):,} of the page's {a.page_chars:,} characters of text "
                f"({len(a.text) / a.page_chars:.0%}, under CLAIMFLOW_MIN_EXTRACTION_SHARE={min_share:.0%}); "
                f"{len(ex.claims)} claim(s) landed: check that the page holds the article"
            )
    return found


@task(cache_policy=NO_CACHE)
def skip_known(db: Path, articles: list[Article]) -> tuple[list[Article], int]:
    """Drop articles already in the warehouse (and repeats within this input)."""
    unique = list({a.article_id: a for a in reversed(articles)}.values())[::-1]
    with connection(db) as con:
        known = load.existing_article_ids(con, [a.article_id for a in unique])
    return [a for a in unique if a.article_id not in known], len(articles) - len(unique) + len(known)


def extraction_options(settings: Settings) -> dict:
    """What the extraction needs of the settings, and no more (no secret travels to a worker)."""
    return {"model": settings.spacy_model, "batch_size": settings.batch_size, "context_sentences": settings.context_sentences,
            "min_words": settings.min_claim_words, "scorer": settings.scorer}


def _extract_with(articles: list[Article], options: dict, processes: int) -> list[Extraction]:
    from claims.extract import extract_parallel

    options = dict(options)
    return list(extract_parallel(options.pop("model"), articles, processes=processes, **options))


@task(cache_policy=NO_CACHE)
def extract_claims(articles: list[Article], settings: Settings) -> list[Extraction]:
    """Split and score every article's sentences with one nlp.pipe over all their blocks."""
    if not articles:
        return []
    return _extract_with(articles, extraction_options(settings), nlp_processes(settings, len(articles)))


@task(cache_policy=NO_CACHE)
def extract_chunk(articles: list[dict], options: dict) -> list[Extraction]:
    """Extract the claims of some articles in one process (a Dask worker's share; the worker loads
    the pipeline and the scorer on its first chunk and keeps them). The articles come as plain
    dicts, which Dask's walk through task arguments leaves as they are."""
    return _extract_with([Article(**a) for a in articles], options, 1)


def extract_on_dask(articles: list[Article], settings: Settings) -> list[Extraction]:
    """The extraction as one task per CLAIMFLOW_DASK_CHUNK_ARTICLES articles on the Dask cluster
    (see :func:`flows.cluster.run_on_cluster`); the results in article order."""
    size = settings.dask_chunk_articles
    options = extraction_options(settings)
    chunks = [{"articles": [asdict(a) for a in articles[i : i + size]], "options": options} for i in range(0, len(articles), size)]
    with dask_runner(settings) as runner:
        return [ex for done in run_on_cluster(runner, extract_chunk, chunks) for ex in done]


def extract_new(articles: list[Article], settings: Settings) -> list[Extraction]:
    """The extraction step on the configured task runner."""
    if settings.task_runner == "dask" and articles:
        return extract_on_dask(articles, settings)
    return extract_claims(quote(articles), settings)


@task(cache_policy=NO_CACHE)
def validate(extractions: list[Extraction]) -> tuple[list[Extraction], list[dict]]:
    """Keep the articles whose claims all point at their text and pass the claims expectation
    suite; the rest become failures naming the claim and every expectation it failed."""
    from claims.extract import check_offsets

    good, failures = [], []
    for ex in extractions:
        if ex.error is None:
            try:
                check_offsets(ex.article, ex.claims)
            except OffsetError as err:
                ex.error = str(err)
    checked = [ex for ex in extractions if ex.error is None]
    try:
        _gate_claims(checked)
    except Exception:  # the suite itself broke on some value: article by article, so it stays in its article
        for ex in checked:
            try:
                _gate_claims([ex])
            except Exception as err:
                ex.error = f"the claims expectation suite could not check it: {type(err).__name__}: {str(err)[:200]}"
    for ex in extractions:
        if ex.error is None:
            good.append(ex)
        else:
            failures.append({"path": ex.article.source_path, "line": ex.article.source_line, "reason": ex.error})
    return good, failures


def _gate_claims(extractions: list[Extraction]) -> None:
    """Set the error of each extraction with a claim failing the claims suite."""
    from claims.records import claims_table
    from expectations.gate import validate as gate

    claims = [c for ex in extractions for c in ex.claims]
    if not claims:
        return
    frame = claims_table(claims, run_id="", at=datetime.now(timezone.utc).replace(tzinfo=None)).to_pandas()
    outcome = gate("claims", frame)
    failing: dict[str, list[str]] = {}
    for row, reasons in outcome.failures.items():
        failing.setdefault(claims[row].article_id, []).append(f"claim {claims[row].claim_id}: {', '.join(reasons)}")
    for ex in extractions:
        if ex.article.article_id in failing:
            ex.error = "failed the claims expectation suite: " + "; ".join(failing[ex.article.article_id][:5])


@task(cache_policy=NO_CACHE)
def store_articles(db: Path, run_id: str, extractions: list[Extraction], failures: list[dict]) -> tuple[int, int]:
    """Write articles, claims and failures in one transaction (an article never lands without its
    claims, or a re-run would skip it as known); return (new articles, new claims)."""
    from claims.records import articles_table, claims_table

    at = datetime.now(timezone.utc).replace(tzinfo=None)

    def store(con) -> tuple[int, int]:
        articles = load.upsert_articles(con, articles_table([e.article for e in extractions], run_id=run_id, at=at))
        claims = load.upsert_claims(con, claims_table([c for e in extractions for c in e.claims], run_id=run_id, at=at))
        load.record_failures(con, run_id, failures)
        return articles.new, claims.new

    return writing(db, store, "storing the articles")


@flow(name="ingest", log_prints=False)
def ingest_flow(paths: list[str], db: str | None = None, spacy_model: str | None = None) -> IngestReport:
    """Ingest articles from files, folders or globs into the warehouse."""
    run = this_run("ingest", db=db, spacy_model=spacy_model)
    settings = run.settings
    report = IngestReport(run_id=run.id, db=run.db)
    with run.recorded(report, {"paths": paths, "spacy_model": settings.spacy_model}):
        report.files, articles, read_failures, report.passed_over = read_inputs(
            paths, settings.max_article_bytes, settings.max_article_lines
        )
        report.articles_read = len(articles)
        # quote(): large collections are passed as they are, not walked by Prefect for dependencies.
        new, report.articles_known = skip_known(settings.db, quote(articles))
        # Nothing new (a re-ingest): no language told, no extraction, no validation, nothing imported for them.
        to_extract, without_claims, report.skipped = route_languages(quote(new), settings) if new else ([], [], [])
        good, bad = validate(quote(extract_new(to_extract, settings))) if to_extract else ([], [])
        report.failures = read_failures + bad
        report.sentences = sum(e.sentences for e in good)
        report.words = sum(len(e.article.text.split()) for e in good)
        report.boilerplate_lines = sum(e.boilerplate for e in good)
        report.warnings = extraction_warnings(good, settings.min_extraction_share)
        for line in report.warnings:
            get_run_logger().warning("%s", line)
        if without_claims:
            from claims.extract import Extraction

            good += [Extraction(a) for a in without_claims]
        if good or report.failures or report.skipped:
            report.articles_new, report.claims_new = store_articles(
                settings.db, run.id, quote(good), report.failures + report.skipped
            )
    return report
