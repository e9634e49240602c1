"""Fitting the fact-check lookup (claims/lookup.py) on the CLEF 2020 CheckThat! verified-claim
retrieval data (``../shared/benchmarks/factcheck-retrieval``): its train tweets against the
10,375 verified claims, each tweet's candidates (the closest by cosine and by TF-IDF) labelled by
whether they are the fact-check that verifies it. A logistic model over the candidates' features
gives the score. Only the train split is read here; `bench/bench_factchecks.py` reports dev
through the pipeline.
"""

from __future__ import annotations

import csv
import hashlib
import json
import time
from datetime import date
from pathlib import Path

import numpy as np

from claims.lookup import DEFAULT_LOOKUP, FEATURES, LookupModel, candidate_rows, lexical_index, load_lookup, logit, look_up

csv.field_size_limit(1 << 24)


def read_library(folder: Path) -> tuple[list[str], list[str], list[str]]:
    """(ids, claims, titles) of the verified claims."""
    with open(folder / "verified_claims.docs.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    return [r[0] for r in rows], [r[1] for r in rows], [r[2] if len(r) > 2 else "" for r in rows]


def read_queries(folder: Path, split: str) -> tuple[list[str], list[str], dict[str, set[str]]]:
    """(tweet ids, texts, tweet id -> the ids of the verified claims that check it) of a split."""
    with open(folder / split / "tweets.queries.tsv", encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    relevant: dict[str, set[str]] = {}
    for line in (folder / split / "tweet-vclaim-pairs.qrels").read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) >= 4 and parts[3] != "0":
            relevant.setdefault(parts[0], set()).add(parts[2])
    return [r[0] for r in rows], [r[1] for r in rows], relevant


def query_claims(texts: list[str], nlp) -> tuple[list[str], list[str], list[int]]:
    """The claims of each query text as the pipeline extracts them (a text an article): (claim
    texts, their passages, the query each belongs to). A text without a claim gives none."""
    from claims.extract import extract
    from claims.sources import SourceError, make_article

    articles, owners = [], []
    for n, text in enumerate(texts):
        try:
            articles.append(make_article(text, path=f"query {n}", fmt="text", title=""))
            owners.append(n)
        except SourceError:
            continue
    claims, contexts, owner = [], [], []
    for n, ex in zip(owners, extract(nlp, articles)):
        for c in ex.claims:
            claims.append(c.text), contexts.append(ex.article.text[c.context_start : c.context_end]), owner.append(n)
    return claims, contexts, owner


def examples(contexts, vectors, passage_vectors, library_vectors, index, labels: list[set[int]], k: int):
    """The candidates of each claim as (features, label) rows; ``labels``: per claim, the
    library rows that check it."""
    X, y = [], []
    for row, rows, values in candidate_rows(contexts, vectors, library_vectors, index, k=k, passage_vectors=passage_vectors):
        X.append(np.stack([values[n] for n in FEATURES], axis=1))
        y.append(np.isin(rows, list(labels[row])))
    return np.concatenate(X), np.concatenate(y)


def train(folder: Path, out: Path = DEFAULT_LOOKUP, *, nlp, encoder, k: int = 30, rerank: Path | None = None,
          rerank_top: int = 10) -> dict:
    """Fit the lookup on the train split's tweets, split into claims by ``nlp`` as the pipeline
    does, and write ``out`` (lookup.json). With ``rerank`` (the folder `python -m training nli`
    wrote from :func:`rerank_pairs`' half 0), the re-ranker is copied beside ``out`` and its
    weight beside the first stage's is fitted on the tweets of half 1, which it never saw."""
    import shutil

    from claims.nli import load_nli
    from training.matcher import fit_logistic

    started = time.perf_counter()
    ids, claims, titles = read_library(folder)
    texts = [f"{c} {t}".strip() for c, t in zip(claims, titles)]
    position = {v: n for n, v in enumerate(ids)}
    library_vectors = encoder.encode(claims)
    index = lexical_index(texts)
    q_ids, q_texts, relevant = read_queries(folder, "train")
    query_texts, contexts, owner = query_claims(q_texts, nlp)
    labels = [{position[v] for v in relevant.get(q_ids[o], ()) if v in position} for o in owner]
    vectors, passage_vectors = encoder.encode(query_texts), encoder.encode(contexts)
    X, y = examples(contexts, vectors, passage_vectors, library_vectors, index, labels, k)
    bias, weights = fit_logistic(X, y, np.zeros(len(FEATURES)), np.full(len(FEATURES), 0.01), balanced=False)
    content = {"bias": round(bias, 6), "weights": dict(zip(FEATURES, np.round(weights, 6).tolist()))}
    meta = {}
    if rerank is not None:
        first = LookupModel("first", bias, dict(zip(FEATURES, weights.tolist())))
        mine = np.array([tweet_half(q_ids[o]) == 1 for o in owner])
        rows = np.nonzero(mine)[0]
        matches = look_up([contexts[r] for r in rows], vectors[rows], library_vectors, index, first, top=rerank_top,
                          passage_vectors=passage_vectors[rows]).matches
        entailment = load_nli(str(rerank)).probabilities([contexts[rows[m.claim]] for m in matches],
                                                         [texts[m.fact_check] for m in matches])[:, 0]
        Z = np.stack([logit(np.array([m.first for m in matches])), logit(entailment.astype(np.float64))], axis=1)
        z_y = np.array([m.fact_check in labels[rows[m.claim]] for m in matches])
        b2, w2 = fit_logistic(Z, z_y, np.zeros(2), np.full(2, 0.01), balanced=False)
        target = out.parent / "rerank"
        target.mkdir(parents=True, exist_ok=True)
        for name in ("model.onnx", "nli.json"):
            shutil.copyfile(rerank / name, target / name)
        content["rerank"] = {"model": "rerank", "top": rerank_top, "bias": round(b2, 6),
                             "weights": {"first": round(float(w2[0]), 6), "rerank": round(float(w2[1]), 6)}}
        meta["rerank_fit"] = {"claims": int(len(rows)), "pairs": int(len(z_y)), "positives": int(z_y.sum()),
                              "train": json.loads((rerank / "nli.json").read_text(encoding="utf-8")).get("news_rows")}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:8]
    model = {"version": f"lookup-{date.today():%Y%m%d}-{digest}", **content,
             "meta": {"trained_on": {"clef2020_task2_train_tweets": len(q_ids), "claims": len(query_texts),
                                     "tweets_with_claims": len(set(owner)), "candidates": int(len(y)), "positives": int(y.sum()),
                                     "verified_claims": len(ids)},
                      "candidates_per_source": k, "encoder": getattr(encoder, "version", None), **meta,
                      "train_seconds": round(time.perf_counter() - started, 1)}}
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
    return model


def tweet_half(tweet_id: str) -> int:
    """0 or 1, by a hash of the tweet's id: the re-ranker learns from half 0 of the train split's
    tweets, and how much its judgement counts beside the first stage's is fitted on half 1."""
    return int(hashlib.sha256(tweet_id.encode()).hexdigest(), 16) % 2


def rerank_pairs(folder: Path, out: Path, *, nlp, encoder, n: int = 10, half: int | None = 0) -> dict:
    """The re-ranker's training pairs (JSON Lines of premise, hypothesis, label), from the train
    split: each claim's passage (the premise) against the fact-check text (its claim and title)
    of each of the ``n`` best candidates the lookup gives it, labelled ``entailment`` when that
    fact-check verifies the claim's tweet and ``neutral`` when not. These are the pairs the
    re-ranker meets in the pipeline: the first stage's best few. Only the tweets of ``half``
    (:func:`tweet_half`; None: all of them)."""
    ids, claims, titles = read_library(folder)
    texts = [f"{c} {t}".strip() for c, t in zip(claims, titles)]
    position = {v: k for k, v in enumerate(ids)}
    q_ids, q_texts, relevant = read_queries(folder, "train")
    if half is not None:
        q_ids, q_texts = map(list, zip(*[(q, t) for q, t in zip(q_ids, q_texts) if tweet_half(q) == half]))
    query_texts, contexts, owner = query_claims(q_texts, nlp)
    matches = look_up(contexts, encoder.encode(query_texts), encoder.encode(claims), lexical_index(texts), load_lookup(), top=n,
                      passage_vectors=encoder.encode(contexts)).matches
    labels = [{position[v] for v in relevant.get(q_ids[o], ()) if v in position} for o in owner]
    positives = 0
    out.parent.mkdir(parents=True, exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        for m in matches:
            same = m.fact_check in labels[m.claim]
            positives += same
            f.write(json.dumps({"premise": contexts[m.claim], "hypothesis": texts[m.fact_check],
                                "label": "entailment" if same else "neutral"}) + "\n")
    return {"pairs": len(matches), "positives": positives, "claims": len(query_texts), "tweets": len(q_ids), "per_claim": n,
            "half": half}
