"""Training and evaluating the matcher (claims/match.py) on labelled pairs.

Two kinds of data:

- the stance benchmark (``../shared/benchmarks/stance``: FNC-1 training headlines and article
  bodies labelled agree / disagree / discuss / unrelated). A headline is one claim (a full stop
  added), a body is an article split into claims by the real extraction; a (headline, body) row
  becomes one example whose features are the most telling over the body's claims (each
  feature's maximum), and is scored, like any article pair, by its best claim pair. The rows are
  split in two by story (:func:`story_of`: the headlines and bodies joined by related rows, so a
  headline never sits on both sides), unrelated rows joining two stories of different sides left
  out: the model is fitted on the ``fit`` half only and every reported figure comes from the
  other, ``report`` half, never tuned on;
- pair relations people resolved in Label Studio (the warehouse's pair_verdicts), which the
  caller reads and passes in as :func:`pair_examples`: one example per pair.

The three models (relatedness of articles, similarity and contradiction of claims) are logistic
regressions fitted with scipy, each cue weight pulled towards a prior set by hand rather than
towards zero: cues the data has examples of move to what the data says; cues it hardly has
(antonyms of political news, dates, numbers, which FNC-1's celebrity and viral stories rarely
use) keep the prior until human verdicts give them examples. Contradiction is fitted on the rows
the NLI model's news stage never saw (:func:`news_pairs`) and on the NLI dev fold. The priors,
their strengths and the thresholds are in ``training/configs/matcher.toml`` (:class:`MatcherConfig`).

:func:`load_stance` reads the benchmark and runs the extraction and the encoder over it;
:func:`train` writes the model folder; the rest are pure functions of arrays.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np

from claims.match import (
    ARTICLE_FEATURES, CONTRADICTION_FEATURES, DEFAULT_MATCHER_DIR, SIMILARITY_FEATURES, ArticlePairs, ClaimSet, PairFeatures,
    aligned_pairs, article_features, claim_set, pair_features, read_pairs,
)

from training import config
from training.data import read_stance
from training.errors import ConfigError

SEED = 0  # the default seed: which stories fall in the fit half and which in the report half
RELATED = {"agree", "disagree", "discuss"}


@dataclass(frozen=True)
class MatcherConfig:
    """The matcher's hyperparameters (``training/configs/matcher.toml``): where each weight
    starts and is pulled back to, and how hard (an L2 penalty per weight, in examples' worth of
    evidence; the bias is free)."""

    similarity_prior: dict[str, float]
    contradiction_prior: dict[str, float]
    firm: dict[str, float]  # cues held to their prior this firmly; every other weight: prior_strength
    prior_strength: float
    related_recall: float  # the share of the fit half's related rows the relatedness threshold keeps
    nli_folds: int  # the NLI pairs' folds (training.nli.split): fold 0 joins the contradiction examples
    nli_weight: float  # each of those pairs' weight, a news row's being 1
    thresholds: dict[str, float]

    @classmethod
    def read(cls, path: str | Path | None = None) -> MatcherConfig:
        """The config in ``path`` (default: ``training/configs/matcher.toml``)."""
        doc = config.read(path or config.MATCHER)
        try:
            return cls(
                similarity_prior=dict(doc["similarity_prior"]), contradiction_prior=dict(doc["contradiction_prior"]),
                firm=dict(doc["firm"]), prior_strength=float(doc["prior_strength"]),
                related_recall=float(doc["relatedness"]["recall"]), nli_folds=int(doc["nli"]["folds"]),
                nli_weight=float(doc["nli"]["weight"]),
                thresholds=dict(doc["thresholds"]),
            )
        except KeyError as e:
            raise ConfigError(f"{path or config.MATCHER}: missing {e.args[0]!r}") from None


@dataclass
class StanceData:
    """The stance benchmark as claims: one ClaimSet over every headline and body claim, and per
    (headline, body) row the claim rows of each side."""

    claims: ClaimSet
    texts: dict[str, str] = field(default_factory=dict)   # article id -> its text
    rows: list[dict] = field(default_factory=list)   # {headline, body, stance, split, h: [rows], b: [rows], *_article}


def split_of(key: str, seed: int = SEED) -> str:
    """``fit`` or ``report``: half the keys each, by a hash of the key."""
    digest = hashlib.sha256(f"{seed}:{key}".encode("utf-8")).digest()
    return "fit" if digest[0] % 2 == 0 else "report"


def story_of(stances: Sequence[dict]) -> dict[str, str]:
    """Each headline and body ("h:<headline>", "b:<body id>") -> its story: the connected
    component of the graph whose edges are the related (agree, disagree, discuss) rows. Headlines
    repeat across bodies and bodies across headlines; a split by story keeps every headline and
    every body of one story on one side, so the model never meets on the report side a headline
    it was fitted on."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in stances:
        h, b = find("h:" + r["Headline"]), find("b:" + r["Body ID"])
        if r["Stance"] in RELATED and h != b:
            parent[max(h, b)] = min(h, b)
    return {node: find(node) for node in list(parent)}


def row_split(stances: Sequence[dict], seed: int = SEED) -> list[str]:
    """Per row, ``fit`` or ``report`` by its story (:func:`story_of`, hashed), or ``excluded`` for
    an unrelated row whose headline's story falls on the other side from its body's."""
    story = story_of(stances)
    out = []
    for r in stances:
        sides = {split_of(story["h:" + r["Headline"]], seed), split_of(story["b:" + r["Body ID"]], seed)}
        out.append(sides.pop() if len(sides) == 1 else "excluded")
    return out


def headline_sentence(headline: str) -> str:
    """A headline as one sentence: a question mark or none becomes a full stop."""
    text = " ".join(headline.split()).rstrip("?").rstrip()
    return text if text[-1:] in ".!" else text + "."


def load_stance(folder: Path, nlp, encoder, *, seed: int = SEED, limit: int | None = None, min_words: int = 4) -> StanceData:
    """Read the stance benchmark in ``folder``, split its headlines and bodies into claims with
    ``nlp`` and embed them with ``encoder`` (``limit``: the first rows only, for tests)."""
    from claims.extract import extract
    from claims.sources import make_article

    stances, bodies = read_stance(folder, limit)
    headlines = sorted({r["Headline"] for r in stances})
    body_ids = sorted({r["Body ID"] for r in stances}, key=lambda b: int(b) if b.isdigit() else b)
    articles = [make_article(headline_sentence(h), path=f"headline {n}", fmt="text") for n, h in enumerate(headlines)]
    articles += [make_article(bodies[b], path=f"body {b}", fmt="text") for b in body_ids]
    extractions = list(extract(nlp, articles, min_words=min_words))
    ids, article_ids, texts, entities, titles, rows_of, contexts = [], [], [], [], [], [], []
    for n, (article, ex) in enumerate(zip(articles, extractions)):
        rows_of.append(list(range(len(ids), len(ids) + len(ex.claims))))
        for c in ex.claims:
            ids.append(c.claim_id), article_ids.append(article.article_id), texts.append(c.text)
            entities.append([e["text"] for e in c.entities]), titles.append(article.title or "")
            contexts.append(article.text[c.context_start : c.context_end])
    vectors = encoder.encode(texts)
    unique_titles = sorted(set(titles))
    title_vectors = dict(zip(unique_titles, encoder.encode(unique_titles)))
    claims = claim_set(ids, article_ids, texts, vectors, np.stack([title_vectors[t] for t in titles]) if titles else vectors,
                       entities, [frozenset()] * len(ids), contexts, {a.article_id: a.text for a in articles})
    head_rows = dict(zip(headlines, rows_of[: len(headlines)]))
    body_rows = dict(zip(body_ids, rows_of[len(headlines) :]))
    data = StanceData(claims, {a.article_id: a.text for a in articles})
    head_article = dict(zip(headlines, (a.article_id for a in articles)))
    body_article = dict(zip(body_ids, (a.article_id for a in articles[len(headlines) :])))
    story = story_of(stances)
    for r, split in zip(stances, row_split(stances, seed)):
        data.rows.append({"headline": r["Headline"], "body": r["Body ID"], "stance": r["Stance"], "split": split,
                          "story": story["b:" + r["Body ID"]], "h": head_rows[r["Headline"]], "b": body_rows[r["Body ID"]],
                          "headline_article": head_article[r["Headline"]], "body_article": body_article[r["Body ID"]]})
    return data


def row_pairs(data: StanceData, rows: Sequence[int]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (headline claim, body claim) pair of these rows, with the row each belongs to."""
    i, j, owner = [], [], []
    for n in rows:
        r = data.rows[n]
        for a in r["h"]:
            for b in r["b"]:
                i.append(a), j.append(b), owner.append(n)
    return np.array(i, np.int64), np.array(j, np.int64), np.array(owner, np.int64)


# -- fitting ---------------------------------------------------------------------------------

def fit_logistic(
    X: np.ndarray, y: np.ndarray, prior: np.ndarray, strength: np.ndarray, *, sample_weight: np.ndarray | None = None,
    balanced: bool = True,
) -> tuple[float, np.ndarray]:
    """A logistic regression whose weights are pulled towards ``prior`` (penalty
    ``strength_k / 2 * (w_k - prior_k)^2``; the bias is free). With ``balanced``, each class
    weighs as much as the other in total. Returns (bias, weights)."""
    from scipy.optimize import minimize

    y = y.astype(np.float64)
    weight = np.ones(len(y)) if sample_weight is None else sample_weight.astype(np.float64)
    if balanced and 0 < y.sum() < len(y):
        pos = weight[y == 1].sum()
        neg = weight[y == 0].sum()
        weight = np.where(y == 1, weight * (pos + neg) / (2 * pos), weight * (pos + neg) / (2 * neg))

    def loss(theta):
        b, w = theta[0], theta[1:]
        z = b + X @ w
        # log(1 + e^z) - y z, stably
        nll = np.logaddexp(0.0, z) - y * z
        p = 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))
        d = w - prior
        value = float(weight @ nll + 0.5 * (strength * d * d).sum())
        grad_z = weight * (p - y)
        grad = np.concatenate([[grad_z.sum()], X.T @ grad_z + strength * d])
        return value, grad

    start = np.concatenate([[0.0], prior])
    result = minimize(loss, start, jac=True, method="L-BFGS-B", options={"maxiter": 2000})
    return float(result.x[0]), result.x[1:]


def _row_max(values: np.ndarray, owner: np.ndarray, rows: int) -> np.ndarray:
    """Per row, the maximum of each column over the row's pairs (0 where none)."""
    out = np.full((rows, values.shape[1]), -np.inf)
    np.maximum.at(out, owner, values)
    out[~np.isfinite(out)] = 0.0
    return out


@dataclass
class Examples:
    """Training examples of one model: inputs, labels and each example's weight."""

    X: np.ndarray
    y: np.ndarray
    weight: np.ndarray

    @classmethod
    def concat(cls, parts: Iterable[Examples | None]) -> Examples:
        parts = [p for p in parts if p is not None and len(p.y)]
        return cls(*(np.concatenate([getattr(p, name) for p in parts]) for name in ("X", "y", "weight")))


def _priors(names: Sequence[str], prior: dict[str, float], cfg: MatcherConfig) -> tuple[np.ndarray, np.ndarray]:
    return np.array([prior[n] for n in names]), np.array([cfg.firm.get(n, cfg.prior_strength) for n in names])


@dataclass
class Split:
    """One half of the stance benchmark as the matcher sees it: its claims, its articles' TF-IDF
    vectors, and its labelled (headline, body) rows with their article codes, each pair once."""

    claims: ClaimSet
    tfidf: object
    rows: list[dict]
    a: np.ndarray
    b: np.ndarray


def split_of_data(data: StanceData, split: str) -> Split:
    """The claims and labelled rows of one half (``fit`` or ``report``)."""
    from claims.match import article_tfidf

    rows = [r for r in data.rows if r["split"] == split]
    claim_rows = sorted({c for r in rows for c in r["h"] + r["b"]})
    claims = data.claims.subset(claim_rows)
    articles = sorted(set(claims.article_ids))
    code = {a: n for n, a in enumerate(articles)}
    seen, kept = set(), []
    for r in rows:
        key = (r["headline_article"], r["body_article"])
        if key in seen or key[0] not in code or key[1] not in code or key[0] == key[1]:
            continue  # a repeated row, or a side without claims
        seen.add(key)
        kept.append(r)
    return Split(claims, article_tfidf([data.texts[a] for a in articles]), kept,
                 np.array([code[r["headline_article"]] for r in kept], np.int64),
                 np.array([code[r["body_article"]] for r in kept], np.int64))


def relatedness_examples(part: Split) -> Examples:
    """One example per labelled row: its articles' ARTICLE_FEATURES, related or not."""
    values = article_features(part.claims, part.tfidf, part.a, part.b)
    y = np.array([r["stance"] in RELATED for r in part.rows])
    return Examples(np.stack([values[n] for n in ARTICLE_FEATURES], axis=1), y, np.ones(len(y)))


def aligned_row_pairs(part: Split, rows: np.ndarray, nli) -> tuple[PairFeatures, np.ndarray]:
    """The claim pairs the pipeline would align for these labelled rows (indices into
    ``part.rows``), with their features (the NLI model reads each), and the row of each."""
    keep = np.ones(len(rows), bool)
    articles = ArticlePairs(np.minimum(part.a[rows], part.b[rows]), np.maximum(part.a[rows], part.b[rows]), {},
                            np.ones(len(rows)), keep)
    i, j, cos, _ = aligned_pairs(part.claims, articles)
    codes = part.claims.cue_arrays["articles"]
    row_of = {(int(x), int(y)): int(n) for n, x, y in zip(rows, articles.a, articles.b)}
    owner = np.array([row_of[(min(x, y), max(x, y))] for x, y in zip(codes[i].tolist(), codes[j].tolist())], np.int64)
    return pair_features(part.claims, i, j, cos, read_pairs(part.claims, i, j, nli)), owner


def contradiction_examples(part: Split, nli, cfg: MatcherConfig) -> Examples:
    """One example per related row of the stories :func:`news_pairs` left out (the NLI model
    learnt from the others, so its scores here are those of unseen news): the features of the
    row's claim pair that contradicts most. Which pair that is depends on the model, so the model
    is fitted twice: first on the pair the NLI model finds most contradicting, then on the pair
    the first fit scores highest."""
    rows = np.array([n for n, r in enumerate(part.rows) if r["stance"] in RELATED and split_of(r["story"], 1) != "fit"], np.int64)
    features, owner = aligned_row_pairs(part, rows, nli)
    X = features.matrix(CONTRADICTION_FEATURES)
    y = np.array([part.rows[n]["stance"] == "disagree" for n in rows])
    position = {int(n): k for k, n in enumerate(rows)}
    local = np.array([position[o] for o in owner.tolist()], np.int64)
    score = features.values["nli"]
    prior, strength = _priors(CONTRADICTION_FEATURES, cfg.contradiction_prior, cfg)
    for _ in range(2):
        best = np.full(len(rows), -1)
        top = np.full(len(rows), -np.inf)
        for k, (row, z) in enumerate(zip(local.tolist(), score.tolist())):
            if z > top[row]:
                top[row], best[row] = z, k
        has = best >= 0
        examples = Examples(X[best[has]], y[has], np.ones(int(has.sum())))
        bias, weights = fit_logistic(examples.X, examples.y, prior, strength)
        score = bias + X @ weights
    return examples


def nli_examples(encoder, nli, path: Path, folds: int, weight: float = 1.0) -> Examples:
    """Contradiction examples of sentence pairs: the dev fold of the NLI sets the cross-encoder
    learnt from (training.nli.split: premises it never saw), labelled contradiction or not, so
    the model also learns what the cross-encoder's judgement is worth between two claims."""
    from training.nli import read_pairs as read_nli, split

    _, dev = split(read_nli(path), folds)
    texts = [p["premise"] for p in dev] + [p["hypothesis"] for p in dev]
    n = len(dev)
    vectors = encoder.encode(texts)
    article_ids = [f"a{k:06d}" for k in range(2 * n)]
    claims = claim_set([f"c{k:06d}" for k in range(2 * n)], article_ids, texts, vectors, vectors,
                       [[] for _ in texts], [frozenset()] * (2 * n), None, dict(zip(article_ids, texts)))
    i, j = np.arange(n), np.arange(n, 2 * n)
    f = pair_features(claims, i, j, None, nli.probabilities(texts[:n], texts[n:]))
    return Examples(f.matrix(CONTRADICTION_FEATURES), np.array([p["label"] == "contradiction" for p in dev]), np.full(n, weight))


def similarity_examples(data: StanceData, split: str) -> Examples:
    """One example per (headline, body) row of ``split``: each similarity feature's maximum over
    the row's claim pairs, related or not."""
    keep = [n for n, r in enumerate(data.rows) if r["split"] == split]
    i, j, owner = row_pairs(data, keep)
    f = pair_features(data.claims, i, j)
    remap = {row: k for k, row in enumerate(keep)}
    local = np.array([remap[o] for o in owner.tolist()], np.int64)
    y = np.array([data.rows[n]["stance"] in RELATED for n in keep])
    return Examples(_row_max(f.matrix(SIMILARITY_FEATURES), local, len(keep)), y, np.ones(len(keep)))


def pair_examples(claims: ClaimSet, i: np.ndarray, j: np.ndarray, relations: Sequence[str], nli, weight: float = 1.0) -> tuple[Examples, Examples]:
    """(similarity, contradiction) examples of labelled pairs: ``agree`` and ``contradict`` are
    related, ``contradict`` contradicts; ``unrelated`` and ``different_event`` are neither (not
    the same truth conditions). ``nli`` reads each pair."""
    f = pair_features(claims, i, j, None, read_pairs(claims, i, j, nli))
    w = np.full(len(relations), weight)
    return (Examples(f.matrix(SIMILARITY_FEATURES), np.array([r in ("agree", "contradict") for r in relations]), w),
            Examples(f.matrix(CONTRADICTION_FEATURES), np.array([r == "contradict" for r in relations]), w))


def related_threshold(model_bias: float, weights: np.ndarray, examples: Examples, recall: float) -> float:
    """The highest relatedness threshold at which at least ``recall`` of the related examples
    pass: related articles are found first, the inference model sorts them."""
    scores = 1.0 / (1.0 + np.exp(-(model_bias + examples.X @ weights)))
    related = np.sort(scores[examples.y.astype(bool)])
    if not len(related):
        return 0.5
    return float(related[int(np.floor((1 - recall) * len(related)))])


# -- news pairs for the NLI model ------------------------------------------------------------

# How a stance label reads as inference: the body says the headline is true, says nothing
# either way, or says it is false.
STANCE_AS_NLI = {"agree": "entailment", "discuss": "neutral", "disagree": "contradiction"}


def passage(data: StanceData, rows: Sequence[int], k: int) -> str:
    """The claim at position k of an article's claims (``rows``) with the claims either side: the
    passage the pipeline reads as a claim's context."""
    return " ".join(data.claims.texts[r] for r in rows[max(0, k - 1) : k + 2])


def news_pairs(data: StanceData, *, half: str = "fit", part: str = "fit", per_row: int = 2, disagree_weight: int = 3) -> list[dict]:
    """NLI training pairs from the related (headline, body) rows of the stance benchmark's
    ``half``, in its stories that :func:`split_of` (seed 1) puts in ``part`` (the other part is
    left for fitting the contradiction model on scores of a model that never saw it): premise =
    the passage around each of the body's ``per_row`` claims most similar to the headline,
    hypothesis = the headline, label = the row's stance read as inference. Disagreeing rows,
    rare, are repeated ``disagree_weight`` times."""
    out, seen = [], set()
    for r in data.rows:
        if r["split"] != half or r["stance"] not in STANCE_AS_NLI or split_of(r["story"], 1) != part or not r["h"] or not r["b"]:
            continue
        key = (r["headline"], r["body"])
        if key in seen:
            continue
        seen.add(key)
        head = r["h"][0]
        sims = data.claims.vectors[r["b"]] @ data.claims.vectors[head]
        for k in np.argsort(-sims)[:per_row].tolist():
            pair = {"premise": passage(data, r["b"], k), "hypothesis": data.claims.texts[head], "label": STANCE_AS_NLI[r["stance"]],
                    "dataset": "fnc1_fit", "split": half}
            out.extend([pair] * (disagree_weight if r["stance"] == "disagree" else 1))
    return out


# -- evaluating ------------------------------------------------------------------------------

def evaluate_stance(matcher, nli, data: StanceData, split: str = "report") -> dict:
    """On the labelled (headline, body) rows of ``split``, scored as the pipeline scores an
    article pair (its relatedness; when related, its aligned claim pairs read by the NLI model,
    the most contradicting always kept): relatedness ROC AUC (related against unrelated rows),
    the share of related and of disagreeing rows with any claim pair, and disagreement ROC AUC
    (among related rows, disagree against agree and discuss, by the highest contradiction of the
    row's pairs), with how many rows each rests on. Only the labelled pairs are scored:
    `bench/bench_contradiction.py` measures the whole pipeline."""
    part = split_of_data(data, split)
    values = article_features(part.claims, part.tfidf, part.a, part.b)
    relatedness = matcher.relatedness(values)
    related_rows = np.nonzero(relatedness >= matcher.thresholds["related"])[0]
    features, owner = aligned_row_pairs(part, related_rows, nli)
    _, contradiction = matcher.score(features)
    best = np.full(len(part.rows), -1.0)
    np.maximum.at(best, owner, contradiction)
    found = best >= 0
    stances = np.array([r["stance"] for r in part.rows])
    related = np.isin(stances, list(RELATED))
    disagree = stances == "disagree"
    return {
        "split": split, "rows": len(part.rows), "related_rows": int(related.sum()), "unrelated_rows": int((~related).sum()),
        "relatedness_roc_auc": _auc(related, relatedness),
        "related_found": round(float(found[related].mean()), 4) if related.any() else None,
        "disagree_rows": int(disagree.sum()),
        "disagree_found": round(float(found[disagree].mean()), 4) if disagree.any() else None,
        "disagreement_roc_auc": _auc(disagree[related], np.maximum(best, 0.0)[related]),
        "claim_pairs_scored": int(len(owner)),
    }


def _auc(y: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC, or None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, scores)), 4) if 0 < int(np.sum(y)) < len(y) else None


def write_model(folder: Path, content: dict, meta: dict) -> str:
    """Write ``folder/matcher.json``; its version is ``matcher-<date>-<hash of the weights>``."""
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()[:8]
    version = f"matcher-{date.today():%Y%m%d}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "matcher.json").write_text(
        json.dumps({"version": version, **content, "meta": meta}, indent=1) + "\n", encoding="utf-8"
    )
    return version


def _model(bias: float, names: Sequence[str], weights: np.ndarray) -> dict:
    return {"bias": round(bias, 6), "weights": dict(zip(names, np.round(weights, 6).tolist()))}


def train(
    stance_folder: Path, out: Path = DEFAULT_MATCHER_DIR, *, nlp, encoder, nli, extra: tuple[Examples, Examples] | None = None,
    seed: int = SEED, limit: int | None = None, config_file: str | Path | None = None, evaluate: bool = True,
    data: StanceData | None = None, nli_data: Path | None = None,
) -> dict:
    """Fit the matcher's three models on the stance benchmark's fit half (plus ``extra``
    labelled pairs: similarity and contradiction examples), write it to ``out``, and return its
    figures on the report half, scored as the pipeline scores (``evaluate``). The
    hyperparameters are those of ``config_file`` (default ``training/configs/matcher.toml``);
    ``data``: the benchmark already read by :func:`load_stance` with these ``nlp`` and ``encoder``;
    ``nli_data``: the NLI pairs file, whose dev fold joins the contradiction examples."""
    from claims.match import load_matcher

    cfg = MatcherConfig.read(config_file)
    started = time.perf_counter()
    data = data or load_stance(stance_folder, nlp, encoder, seed=seed, limit=limit)
    fit_part = split_of_data(data, "fit")
    related = relatedness_examples(fit_part)
    zero = np.zeros(len(ARTICLE_FEATURES))
    rel_b, rel_w = fit_logistic(related.X, related.y, zero, np.full(len(ARTICLE_FEATURES), 0.01), balanced=False)
    thresholds = dict(cfg.thresholds)
    thresholds["related"] = round(related_threshold(rel_b, rel_w, related, cfg.related_recall), 6)
    similar = Examples.concat([similarity_examples(data, "fit"), extra[0] if extra else None])
    from_news = contradiction_examples(fit_part, nli, cfg)
    from_nli = nli_examples(encoder, nli, nli_data, cfg.nli_folds, cfg.nli_weight) if nli_data is not None else None
    contradicting = Examples.concat([from_news, from_nli, extra[1] if extra else None])
    # Similarity keeps the data's own balance (a probability that two claims tell the same story);
    # contradiction weighs both classes alike (disagreement is rare in every source of examples).
    sim_b, sim_w = fit_logistic(similar.X, similar.y, *_priors(SIMILARITY_FEATURES, cfg.similarity_prior, cfg),
                                sample_weight=similar.weight, balanced=False)
    con_b, con_w = fit_logistic(contradicting.X, contradicting.y, *_priors(CONTRADICTION_FEATURES, cfg.contradiction_prior, cfg),
                                sample_weight=contradicting.weight)
    content = {
        "relatedness": _model(rel_b, ARTICLE_FEATURES, rel_w),
        "similarity": _model(sim_b, SIMILARITY_FEATURES, sim_w),
        "contradiction": _model(con_b, CONTRADICTION_FEATURES, con_w),
        "thresholds": thresholds,
    }
    human = 0 if extra is None else int(len(extra[0].y))
    meta = {
        "trained_on": {"stance_fit_rows": len(fit_part.rows), "stance_fit_related_rows": int(related.y.sum()),
                       "stance_fit_disagree_rows": int(sum(r["stance"] == "disagree" for r in fit_part.rows)),
                       "contradiction_rows": int(len(from_news.y)), "contradiction_disagree_rows": int(from_news.y.sum()),
                       "nli_dev_pairs": 0 if from_nli is None else int(len(from_nli.y)),
                       "nli_dev_pair_weight": cfg.nli_weight,
                       "human_pairs": human},
        "encoder": getattr(encoder, "version", None), "nli": getattr(nli, "version", None), "seed": seed,
        "related_recall_on_fit": cfg.related_recall,
        "priors": {"similarity": cfg.similarity_prior, "contradiction": cfg.contradiction_prior, "firm": cfg.firm},
    }
    version = write_model(out, content, meta)
    load_matcher.cache_clear()
    figures = evaluate_stance(load_matcher(str(out)), nli, data, "report") if evaluate else {}
    meta["report"] = figures
    meta["train_seconds"] = round(time.perf_counter() - started, 1)
    write_model(out, content, meta)  # the same weights, so the same version
    load_matcher.cache_clear()
    return {"version": version, **figures, "train_seconds": meta["train_seconds"]}
