"""The match flow: claims get their embedding once, then every claim not matched yet is paired
with the nearest claims of other articles, each pair scored for similarity and contradiction,
and looked up in the fact-check library (a new fact-check is looked up against the claims
already there too)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import numpy as np
from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.runs import this_run
from flows.settings import Settings
from warehouse import matching
from warehouse.db import connection, take_turn, writing


@dataclass
class MatchReport:
    run_id: str
    encoder: str = ""
    matcher: str = ""
    claims_embedded: int = 0
    articles_embedded: int = 0
    claims_matched: int = 0
    article_pairs_related: int = 0
    pairs_scored: int = 0
    pairs_kept: int = 0
    pairs_new: int = 0
    pairs_updated: int = 0
    fact_checks_embedded: int = 0
    claims_looked_up: int = 0
    fact_check_matches: int = 0
    seconds: float = 0.0

    def counts(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k not in ("run_id", "seconds")}


@task(cache_policy=NO_CACHE)
def embed(db: str, settings: Settings, run_id: str) -> tuple[int, int]:
    """Embed the claims and article titles that have no embedding by this encoder yet, a batch
    at a time, each batch written at once (a crash keeps what was written). Returns (claims,
    articles) embedded. With CLAIMFLOW_TASK_RUNNER=dask the batches are embedded on the Dask
    cluster and their vectors written here as they come back, in order."""
    if settings.task_runner == "dask":
        from flows.cluster import dask_runner, run_on_cluster

        with ExitStack() as stack:  # the cluster reached (or a LocalCluster started) only when there is work
            runners = []

            def on_cluster(chunks: list[list[str]]) -> Iterator[np.ndarray]:
                if not runners:
                    runners.append(stack.enter_context(dask_runner(settings)))
                calls = [{"texts": texts, "encoder": settings.encoder, "threads": settings.encoder_threads} for texts in chunks]
                yield from run_on_cluster(runners[0], encode_chunk, calls)

            return _embed(db, settings, run_id, on_cluster)
    from claims.encoder import load_encoder

    encoder = load_encoder(settings.encoder, settings.encoder_threads)
    return _embed(db, settings, run_id, lambda chunks: (encoder.encode(texts) for texts in chunks))


@task(cache_policy=NO_CACHE)
def encode_chunk(texts: list[str], encoder: str, threads: int) -> np.ndarray:
    """The embeddings of some texts in one process (a Dask worker's share; the worker loads the
    encoder on its first chunk and keeps it)."""
    from claims.encoder import load_encoder

    return load_encoder(encoder, threads).encode(texts)


def _embed(db: str, settings: Settings, run_id: str, encode: Callable[[list[list[str]]], Iterator[np.ndarray]]) -> tuple[int, int]:
    """The embedding step, whoever computes the vectors: ``encode`` maps batches of texts to
    their vectors, batch by batch."""
    from claims.match import article_event_years

    version = _encoder_version(settings)
    with connection(db) as con:
        claims = matching.claims_to_embed(con, version)
        articles = matching.articles_to_embed(con, version)
    if not claims and not articles:
        return 0, 0
    size = settings.embed_batch_size
    claim_chunks = [claims[start : start + size] for start in range(0, len(claims), size)]
    article_chunks = [articles[start : start + size] for start in range(0, len(articles), size)]
    done = 0
    for chunk, vectors in zip(claim_chunks, encode([[text for _, text in chunk] for chunk in claim_chunks])):
        done += _matching(db, "storing the claims' embeddings",
                          lambda con: matching.store_claim_embeddings(con, version, [c for c, _ in chunk], vectors, run_id))
    titled = 0
    for chunk, vectors in zip(article_chunks, encode([[title for _, title, _, _ in chunk] for chunk in article_chunks])):
        years = [sorted(article_event_years(title, text, published)) for _, title, text, published in chunk]
        titled += _matching(db, "storing the articles' embeddings",
                            lambda con: matching.store_article_embeddings(con, version, [a for a, *_ in chunk], vectors, years, run_id))
    return done, titled


def _matching(db: str, what: str, write: Callable):
    """``write(con)``, one of the match's writes, in a transaction that takes the match's write
    turn (warehouse.db.take_turn): two matches at once on a DuckLake catalog then conflict instead
    of both storing the same rows, and the later write is run again whole (its statements skip
    or replace what the first stored)."""
    def work(con):
        take_turn(con, "match")
        return write(con)

    return writing(db, work, what)


def _encoder_version(settings: Settings) -> str:
    from claims.encoder import load_encoder

    return load_encoder(settings.encoder, settings.encoder_threads).version


@task(cache_policy=NO_CACHE)
def pair_claims(db: str, settings: Settings, run_id: str, rematch: bool) -> tuple[int, int, int, int, int, int]:
    """Compare every article with claims not matched yet with the other articles, align the
    claims of the related ones, score those pairs, and store the article pairs, the claim pairs
    and the claims as matched, in one transaction. With ``rematch``, every article is compared
    again and every stored pair is scored by the current matcher. Returns (claims matched,
    article pairs related, claim pairs scored, kept, new, updated)."""
    from claims.match import load_matcher, match, score_pairs
    from claims.nli import load_nli

    encoder = _encoder_version(settings)
    matcher = load_matcher(settings.matcher)
    models = {}

    # Read, scored and written in one transaction, all of it again (from a fresh read) when another
    # match on a DuckLake catalog committed first: the counts are this attempt's. A match that dies
    # (a rematch too) leaves the earlier pairs and marks as they were.
    def attempt(con) -> tuple[int, int, int, int, int, int]:
        if not rematch and not matching.unmatched_count(con):
            return 0, 0, 0, 0, 0, 0
        inputs = matching.match_inputs(con, encoder)
        article_ids, article_texts = matching.match_articles(con, encoder)
        stale = matching.stale_pairs(con, matcher.version) if rematch else []
        if "nli" not in models:
            models["nli"] = load_nli(settings.nli, settings.encoder_threads)
        nli = models["nli"]
        texts = dict(zip(article_ids, article_texts))
        claims = _claim_set(inputs, texts)
        queries = np.arange(len(claims)) if rematch else np.nonzero(~inputs.matched)[0]
        new_articles = sorted({inputs.article_ids[n] for n in queries.tolist()})
        at = matching.now()
        counts = {"kept": 0, "new": 0, "updated": 0}
        found: set[str] = set()
        take_turn(con, "match")

        def write(rows: list[dict]) -> None:  # the pairs written a chunk at a time as they are scored
            for row in rows:
                row.update(encoder=encoder, matched_at=at, run_id=run_id)
            new, updated = matching.store_pairs(con, rows, rescore=rematch)
            counts["kept"] += len(rows)
            counts["new"] += new
            counts["updated"] += updated
            if stale:
                found.update(r["pair_id"] for r in rows)

        result = match(claims, [texts.get(a, "") for a in sorted(set(inputs.article_ids))], new_articles, matcher, nli,
                       per_article=settings.match_per_article, max_related=settings.match_max_related,
                       min_cosine=settings.match_min_cosine,
                       min_similarity=settings.match_min_similarity, min_contradiction=settings.match_min_contradiction, sink=write)
        for row in result.article_pairs:
            row.update(matched_at=at, run_id=run_id)
        matching.store_article_pairs(con, result.article_pairs)
        if stale:  # pairs a rematch did not find again: scored by this matcher all the same
            position = {c: n for n, c in enumerate(inputs.claim_ids)}
            left = [(position[a], position[b]) for a, b in stale if a in position and b in position]
            rescored = score_pairs(claims, np.array([a for a, _ in left], np.int64), np.array([b for _, b in left], np.int64),
                                   None, matcher, nli)
            write([r for r in rescored if r["pair_id"] not in found])
        if rematch:
            matching.forget_matches(con)
        matching.mark_matched(con, [inputs.claim_ids[n] for n in queries.tolist()], matcher=matcher.version, encoder=encoder,
                              run_id=run_id)
        related = int(result.articles.related.sum())
        return len(queries), related, result.scored, counts["kept"], counts["new"], counts["updated"]

    return writing(db, attempt, "matching the claims")


def _claim_set(inputs: matching.MatchInputs, texts: dict[str, str], rows: np.ndarray | None = None):
    """The matcher's ClaimSet of the warehouse's claims (or of these rows of them); ``texts``:
    their articles' text by id."""
    from claims.match import claim_set

    rows = np.arange(len(inputs.claim_ids)) if rows is None else rows
    pick = lambda values: [values[r] for r in rows]  # noqa: E731
    return claim_set(
        pick(inputs.claim_ids), pick(inputs.article_ids), pick(inputs.texts), inputs.vectors[rows], inputs.title_vectors[rows],
        [[e["text"] for e in json.loads(raw or "[]")] for raw in pick(inputs.entities)],
        [frozenset(y or ()) for y in pick(inputs.event_years)], pick(inputs.contexts), texts,
    )


def human_pair_examples(db: str, settings: Settings):
    """The pair relations people resolved in Label Studio, as (similarity, contradiction)
    training examples for the matcher (training.matcher.pair_examples); None when there are none."""
    from claims.nli import load_nli
    from training.matcher import pair_examples

    with connection(db, read_only=True) as con:
        resolved = matching.resolved_pair_relations(con)
        if not resolved:
            return None
        inputs = matching.match_inputs(con, _encoder_version(settings))
        texts = dict(zip(*matching.match_articles(con, _encoder_version(settings))))
    position = {c: n for n, c in enumerate(inputs.claim_ids)}
    resolved = [r for r in resolved if r[0] in position and r[1] in position]
    if not resolved:
        return None
    rows = np.array(sorted({position[c] for a, b, _ in resolved for c in (a, b)}), dtype=np.int64)
    local = {inputs.claim_ids[r]: n for n, r in enumerate(rows)}
    claims = _claim_set(inputs, texts, rows)
    i = np.array([local[a] for a, _, _ in resolved], dtype=np.int64)
    j = np.array([local[b] for _, b, _ in resolved], dtype=np.int64)
    return pair_examples(claims, i, j, [r for _, _, r in resolved], load_nli(settings.nli, settings.encoder_threads))


@task(cache_policy=NO_CACHE)
def look_up_fact_checks(db: str, settings: Settings, run_id: str) -> tuple[int, int, int]:
    """The desk's resolved verdicts join the library as its own fact-checks (as `claimflow export
    --format claimreview` publishes them); the fact-checks not embedded yet are embedded; then
    every claim not looked up yet, and every claim a new fact-check could match, is looked up in
    the library and its best matches stored, in one transaction. Returns (fact-checks embedded,
    claims looked up, matches kept)."""
    from claims.encoder import load_encoder
    from claims.factchecks import claim_review
    from claims.lookup import affected_claims, lexical_index, load_lookup, load_reranker, look_up
    from warehouse import export, factchecks

    encoder_version = _encoder_version(settings)
    model = load_lookup()
    publisher = export.Publisher(settings.claimreview_organization, settings.claimreview_base_url,
                                 settings.claimreview_organization_url)
    def store_desk(con) -> list[tuple[str, str]]:
        desk = [claim_review(export.claim_review(row, publisher), f"desk:{row['claim_id']}").row() | {"claim_id": row["claim_id"]}
                for row in export.claim_review_rows(con)]
        factchecks.store_fact_checks(con, desk, source="desk")
        factchecks.withdraw_desk_fact_checks(con, [row["fact_check_id"] for row in desk])
        return factchecks.fact_checks_to_embed(con, encoder_version)

    to_embed = _matching(db, "storing the desk's fact-checks", store_desk)
    embedded = 0
    if to_embed:
        encoder = load_encoder(settings.encoder, settings.encoder_threads)
        for start in range(0, len(to_embed), settings.embed_batch_size):
            chunk = to_embed[start : start + settings.embed_batch_size]
            vectors = encoder.encode([text for _, text in chunk])
            embedded += _matching(db, "storing the fact-checks' embeddings",
                                  lambda con: factchecks.store_fact_check_embeddings(con, encoder_version, [i for i, _ in chunk], vectors))
    with connection(db, read_only=True) as con:
        library = factchecks.library(con, encoder_version)
        queries = factchecks.claims_to_look_up(con, encoder_version, model.version)
    claim_ids, texts, vectors, new = queries.claim_ids, queries.contexts, queries.vectors, queries.new
    if not library.ids or not claim_ids or not (new.any() or library.new.any()):
        return embedded, 0, 0  # nothing new either way: no index to fit (32 s at 1M fact-checks)
    index = lexical_index(library.texts)
    rows = set(np.nonzero(new)[0].tolist())
    fresh = np.nonzero(library.new)[0]
    old = np.array(sorted(set(range(len(claim_ids))) - rows), np.int64)
    if len(fresh) and len(old):
        hit = affected_claims([texts[r] for r in old], vectors[old], library.vectors[fresh], fresh, index, model,
                              min_score=settings.factcheck_min_score, shortlist_floor=queries.shortlist_floor[old])
        rows |= set(old[hit].tolist())
    rows = np.array(sorted(rows), np.int64)
    passages = load_encoder(settings.encoder, settings.encoder_threads).encode([texts[r] for r in rows]) if len(rows) else None
    found = look_up([texts[r] for r in rows], vectors[rows], library.vectors, index, model, passage_vectors=passages,
                    candidates=settings.factcheck_candidates, top=settings.factcheck_top, min_score=settings.factcheck_min_score,
                    claim_keys=[claim_ids[r] for r in rows], library_keys=library.claim_ids, library_texts=library.texts,
                    reranker=load_reranker(model, settings.encoder_threads))
    matches = found.matches
    at = matching.now()
    stored = [{"claim_id": claim_ids[rows[m.claim]], "fact_check_id": library.ids[m.fact_check], "score": round(m.score, 6),
               "rank": m.rank, "features": json.dumps({"cosine": round(m.cosine, 4), "lexical": round(m.lexical, 4), "first": round(m.first, 4),
                                                      "entailment": None if m.entailment is None else round(m.entailment, 4)}),
               "method": model.version, "matched_at": at, "run_id": run_id} for m in matches]
    def store_matches(con) -> None:  # a replacement of these claims' matches: the same rows when run again
        factchecks.store_claim_fact_checks(con, [claim_ids[r] for r in rows], stored)
        factchecks.mark_looked_up(con, "claim", [claim_ids[r] for r in rows], model.version, found.shortlist_floor.tolist())
        factchecks.mark_looked_up(con, "fact_check", [library.ids[f] for f in fresh], model.version)

    _matching(db, "storing the fact-check matches", store_matches)
    return embedded, len(rows), len(stored)


@flow(name="match")
def match_flow(db: str | None = None, rematch: bool = False) -> MatchReport:
    """Embed new claims and pair them with the claims of other articles."""
    run = this_run("match", db=db)
    settings = run.settings
    report = MatchReport(run_id=run.id)
    with run.recorded(report, {"rematch": rematch, "encoder": settings.encoder, "matcher": settings.matcher}):
        from claims.match import load_matcher

        report.encoder = _encoder_version(settings)
        report.matcher = load_matcher(settings.matcher).version
        report.claims_embedded, report.articles_embedded = embed(run.db, settings, run.id)
        (report.claims_matched, report.article_pairs_related, report.pairs_scored, report.pairs_kept, report.pairs_new,
         report.pairs_updated) = pair_claims(run.db, settings, run.id, rematch)
        report.fact_checks_embedded, report.claims_looked_up, report.fact_check_matches = look_up_fact_checks(
            run.db, settings, run.id)
    return report
