"""From articles to claims: blocks, then sentences within blocks with spaCy, then a score and a type.

Every claim's offsets point into its article's stored (normalised) text:
``article.text[claim.start:claim.end] == claim.text``. Headings, questions, lead-ins ending in a
colon ("Here are five significant takeaways:") and fragments too short to assert anything are
not claims.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from claims.blocks import MAX_BLOCK_CHARS, split_blocks
from claims.errors import OffsetError
from claims.normalize import claim_id
from claims.pipeline import model_label
from claims.score import SCORER as RULES, Features, claim_type, score, sentence_features, skip_reason
from claims.sources import Article

if TYPE_CHECKING:  # spaCy takes seconds to import: only where a pipeline is loaded
    from spacy.language import Language

# The check-worthiness scorer: the learned model shipped with claimflow (MODEL: the fine-tuned
# encoder; "tfidf": the TF-IDF model), a folder made by `claimflow train`, or the hand-set rules
# (RULES, "rules-v1"). See claims.checkworthy.
MODEL = "model"

MIN_CLAIM_WORDS = 4
# Claims scored together: the model runs them in batches of similar length, so several articles'
# claims are pooled before scoring (a claim's score does not depend on its batch).
SCORE_POOL = 512
_TRAILING = "\"'\u201d\u2019)] "


@dataclass(frozen=True, slots=True)
class Claim:
    claim_id: str
    article_id: str
    seq: int
    start: int
    end: int
    text: str
    block_kind: str
    score: float
    claim_type: str
    entities: list[dict]
    context_start: int
    context_end: int
    features: dict
    scorer: str
    model: str


@dataclass(slots=True)
class Extraction:
    """The outcome for one article: its claims, or the error that stopped it."""

    article: Article
    claims: list[Claim] = field(default_factory=list)
    sentences: int = 0
    boilerplate: int = 0  # lines of page furniture (claims.boilerplate) left out
    error: str | None = None


@dataclass(frozen=True, slots=True)
class _Sentence:
    """A sentence as offsets into the article, with what a claim needs from spaCy read at once
    (its features and entities), so that no Doc outlives its block: an article of 200,000 short
    lines held every one of its Docs until the article was finished (2 GB)."""

    start: int
    end: int
    kind: str  # claim:<block kind> | question | lead_in | fragment
    features: Features | None = None  # claims only
    entities: tuple[dict, ...] = ()  # claims only, offsets into the article


def extract(
    nlp: Language,
    articles: Iterable[Article],
    *,
    batch_size: int = 64,
    context_sentences: int = 1,
    min_words: int = MIN_CLAIM_WORDS,
    scorer: str = MODEL,
) -> Iterator[Extraction]:
    """Yield one :class:`Extraction` per article, in order, running spaCy over all their blocks
    with one ``nlp.pipe`` call in this process (see :func:`extract_parallel` for more cores).
    ``scorer``: :data:`MODEL` (the shipped model), a model folder, or :data:`RULES`.

    A failure stays in its article: when spaCy (or a step after it) raises, the first article
    not finished yet is done again on its own; if it fails alone, its Extraction carries the
    error and the others go on from the next one (one batch of blocks is redone per failure)."""
    articles = list(articles)
    options = {"label": model_label(nlp), "score_claims": scoring(scorer), "batch_size": batch_size,
               "context_sentences": context_sentences, "min_words": min_words}
    done = 0
    while done < len(articles):
        stream = _extract_all(nlp, articles[done:], **options)
        while True:
            try:
                extraction = next(stream)
            except StopIteration:
                return
            except Exception:  # in this article or a later one of the batch: this one alone first
                yield _extract_alone(nlp, articles[done], options)
                done += 1
                break
            yield extraction
            done += 1


def _extract_alone(nlp: Language, article: Article, options: dict) -> Extraction:
    try:
        return next(_extract_all(nlp, [article], **options))
    except Exception as err:
        return Extraction(article, error=f"extraction failed: {_reason(err)}")


def _reason(err: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message."""
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}: {first[:300]}" if first else type(err).__name__


def _extract_all(
    nlp: Language, articles: list[Article], *, label: str, score_claims: "ScoreClaims", batch_size: int,
    context_sentences: int, min_words: int,
) -> Iterator[Extraction]:
    limit = min(MAX_BLOCK_CHARS, nlp.max_length)  # so that spaCy's max_length never decides
    blocks = [split_blocks(a.text, limit) for a in articles]
    items = (
        (a.text[b.start : b.end], (i, b.start, b.kind))
        for i, a in enumerate(articles)
        for b in blocks[i]
        if b.kind not in ("heading", "boilerplate")
    )
    docs = nlp.pipe(items, as_tuples=True, batch_size=batch_size)
    pending: list[_Sentence] = []
    current = 0
    done: list[tuple[Article, list[_Sentence], int]] = []  # finished by spaCy, not scored yet

    def finish(i: int) -> None:
        done.append((articles[i], pending, sum(1 for b in blocks[i] if b.kind == "boilerplate")))

    def claims_in(d: list) -> int:
        return sum(1 for _, sentences, _ in d for s in sentences if s.kind.startswith("claim:"))

    for doc, (index, offset, kind) in docs:
        while current < index:  # articles before this one are complete (some have no body blocks)
            finish(current)
            pending, current = [], current + 1
        if done and claims_in(done) >= SCORE_POOL:
            yield from _finish_pooled(done, label, context_sentences, score_claims)
            done = []
        pending.extend(_sentences(doc, offset, kind, min_words))
    while current < len(articles):
        finish(current)
        pending, current = [], current + 1
    yield from _finish_pooled(done, label, context_sentences, score_claims)


def extract_parallel(
    model: str,
    articles: list[Article],
    *,
    processes: int,
    batch_size: int = 64,
    context_sentences: int = 1,
    min_words: int = MIN_CLAIM_WORDS,
    scorer: str = MODEL,
) -> Iterator[Extraction]:
    """Like :func:`extract`, spread over ``processes`` worker processes, each of which loads the
    pipeline ``model`` once and returns finished claims (not Docs), in article order.

    Workers are spawned, not forked, so they inherit no threads or exit handlers of the caller
    (such as an orchestrator's temporary server). A chunk whose worker died (out of memory, say)
    is done again one article at a time in a fresh pool, so only the article that kills a worker
    fails, with the reason.
    """
    if processes <= 1 or len(articles) < 2:
        from claims.pipeline import load_pipeline

        yield from extract(
            load_pipeline(model), articles, batch_size=batch_size, context_sentences=context_sentences,
            min_words=min_words, scorer=scorer,
        )
        return
    # Several chunks per worker keep both busy to the end; each chunk is one nlp.pipe call.
    size = max(1, min(50, -(-len(articles) // (processes * 4))))
    chunks = [articles[i : i + size] for i in range(0, len(articles), size)]
    options = {"batch_size": batch_size, "context_sentences": context_sentences, "min_words": min_words, "scorer": scorer}
    with _pool(processes, model) as pool:
        futures = [pool.submit(_extract_chunk, chunk, options) for chunk in chunks]
        for chunk, future in zip(chunks, futures):
            try:
                results = future.result()
            except Exception:
                results = _one_by_one(model, chunk, options)
            yield from results


def _pool(processes: int, model: str) -> ProcessPoolExecutor:
    context = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(processes, mp_context=context, initializer=_init_worker, initargs=(model, os.getpid()))


def _one_by_one(model: str, articles: list[Article], options: dict) -> list[Extraction]:
    """Each article in a worker of its own pool's; one that breaks the pool fails alone."""
    results = []
    pool = _pool(1, model)
    try:
        for article in articles:
            try:
                results.extend(pool.submit(_extract_chunk, [article], options).result())
            except Exception as err:
                results.append(Extraction(article, error=f"extraction failed in a worker process: {_reason(err)}"))
                pool.shutdown(cancel_futures=True)
                pool = _pool(1, model)
    finally:
        pool.shutdown(cancel_futures=True)
    return results


_WORKER_NLP: Language | None = None


def _init_worker(model: str, parent: int) -> None:
    global _WORKER_NLP
    from claims.pipeline import load_pipeline

    exit_with_parent(parent)
    _WORKER_NLP = load_pipeline(model)


def exit_with_parent(parent: int, every: float = 1.0) -> None:
    """End this process soon after ``parent`` is gone. A parent killed outright (SIGKILL) cannot
    shut its workers down, and a spawned worker waiting for work would wait for ever; a watcher
    thread sees the parent change (the worker is handed to init) and exits."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(1)

    threading.Thread(target=watch, name="claimflow-watch-parent", daemon=True).start()


def _extract_chunk(articles: list[Article], options: dict) -> list[Extraction]:
    assert _WORKER_NLP is not None
    return list(extract(_WORKER_NLP, articles, **options))


def _sentences(doc, offset: int, block_kind: str, min_words: int) -> Iterator[_Sentence]:
    for sent in doc.sents:
        text = sent.text
        stripped = text.strip()
        if not stripped:
            continue
        start = offset + sent.start_char + (len(text) - len(text.lstrip()))
        end = start + len(stripped)
        tail = stripped.rstrip(_TRAILING)
        if tail.endswith("?"):
            kind = "question"
        elif tail.endswith(":"):
            kind = "lead_in"
        elif sum(1 for t in sent if t.is_alpha) < min_words:
            kind = "fragment"
        else:
            yield _Sentence(
                start, end, f"claim:{block_kind}", sentence_features(sent),
                tuple({"text": e.text, "label": e.label_, "start": offset + e.start_char, "end": offset + e.end_char}
                      for e in sent.ents),
            )
            continue
        yield _Sentence(start, end, kind)


class ScorerFallbackWarning(UserWarning):
    """The check-worthiness model could not be loaded; the hand-set rules score instead."""


ScoreClaims = Callable[[list[str], list[Features]], tuple[list[float], str]]


def scoring(scorer: str = MODEL) -> ScoreClaims:
    """A function from claim texts and their rule features to (scores, scorer label)."""
    if scorer == RULES:
        return lambda texts, feats: ([score(f) for f in feats], RULES)
    from claims import checkworthy
    from claims.errors import ClaimsError

    folder = None if scorer == MODEL else scorer
    try:
        version = checkworthy.model_version(folder)
        checkworthy.load_model(folder)
    except (OSError, ValueError, KeyError, ClaimsError) as err:
        warnings.warn(f"check-worthiness model {scorer!r} unusable ({err}); scoring with {RULES}", ScorerFallbackWarning, stacklevel=2)
        return scoring(RULES)
    return lambda texts, feats: (_model_scores(texts, feats, folder), version)


def _model_scores(texts: list[str], feats: list[Features], folder) -> list[float]:
    """The model's scores, but 0 for a sentence that cannot be a claim (claims.score.skip_reason),
    which the model does not read."""
    from claims import checkworthy

    read = [k for k, f in enumerate(feats) if not skip_reason(f)]
    out = [0.0] * len(texts)
    for k, value in zip(read, checkworthy.score_texts([texts[k] for k in read], folder)):
        out[k] = value
    return out


def _finish_pooled(done: list[tuple[Article, list[_Sentence], int]], label: str, context: int,
                   score_claims: ScoreClaims) -> Iterator[Extraction]:
    """The Extractions of several articles whose claims are scored in one call; if that call
    fails, each article is scored on its own, so an error stays in the article that raised it."""
    found = [[s for s in sentences if s.kind.startswith("claim:")] for _, sentences, _ in done]
    texts = [a.text[s.start : s.end] for (a, _, _), claims in zip(done, found) for s in claims]
    try:
        scores, scorer = score_claims(texts, [s.features for claims in found for s in claims])
        pooled: list | None = [(scores[at - len(claims) : at], scorer) for at, claims in zip(_ends(found), found)]
    except Exception:
        pooled = None
    for k, (article, sentences, boilerplate) in enumerate(done):
        result = _finish(article, sentences, label, context, score_claims, pooled[k] if pooled else None)
        result.boilerplate = boilerplate
        yield result


def _ends(groups: list[list]) -> Iterator[int]:
    at = 0
    for g in groups:
        at += len(g)
        yield at


def _finish(article: Article, sentences: list[_Sentence], label: str, context: int, score_claims: ScoreClaims,
            scored: tuple[list[float], str] | None = None) -> Extraction:
    result = Extraction(article, sentences=len(sentences))
    try:
        found = [(i, s, s.features) for i, s in enumerate(sentences) if s.kind.startswith("claim:")]
        scores, scorer = scored or score_claims([article.text[s.start : s.end] for _, s, _ in found], [f for _, _, f in found])
        for (i, s, feats), value in zip(found, scores):
            lo = sentences[max(0, i - context)]
            hi = sentences[min(len(sentences) - 1, i + context)]
            features = feats.as_dict() | {"rules_score": score(feats)}
            if scorer != RULES and skip_reason(feats):
                features["skipped"] = skip_reason(feats)
            result.claims.append(
                Claim(
                    claim_id=claim_id(article.article_id, s.start, s.end),
                    article_id=article.article_id,
                    seq=len(result.claims),
                    start=s.start,
                    end=s.end,
                    text=article.text[s.start : s.end],
                    block_kind=s.kind.split(":", 1)[1],
                    score=value,
                    claim_type=claim_type(feats),
                    entities=list(s.entities),
                    context_start=lo.start,
                    context_end=hi.end,
                    features=features,
                    scorer=scorer,
                    model=label,
                )
            )
    except Exception as err:  # one broken article must not stop the others
        result.claims = []
        result.error = f"extraction failed: {_reason(err)}"
    return result


def check_offsets(article: Article, claims: Iterable[Claim]) -> None:
    """Raise :class:`OffsetError` unless every claim, entity and context points into the article."""
    text = article.text
    for c in claims:
        if text[c.start : c.end] != c.text:
            raise OffsetError(f"claim {c.claim_id} of article {article.article_id}: text[{c.start}:{c.end}] is not its text")
        if not (0 <= c.context_start <= c.start < c.end <= c.context_end <= len(text)):
            raise OffsetError(f"claim {c.claim_id} of article {article.article_id}: context does not contain the claim")
        for e in c.entities:
            if text[e["start"] : e["end"]] != e["text"]:
                raise OffsetError(f"claim {c.claim_id}: entity {e['text']!r} offsets do not match")
        if not 0.0 <= c.score <= 1.0:
            raise OffsetError(f"claim {c.claim_id}: score {c.score} outside [0, 1]")
