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

Both models are logistic regressions fitted with scipy, each weight pulled towards a prior set by
hand rather than towards zero: cues the data has examples of move to what the data says; cues it
hardly has (antonyms of political news, dates, numbers, which FNC-1's celebrity and viral stories
rarely use) keep the prior until human verdicts give them examples. The priors, their strengths,
the candidate strengths of the refutation direction and the thresholds are in
``training/configs/matcher.toml`` (:class:`MatcherConfig`).

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
    CONTRADICTION_FEATURES, CUE_FEATURES, DEFAULT_MATCHER_DIR, SIMILARITY_FEATURES, ClaimSet, PairFeatures, claim_set,
    pair_features,
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
    direction_strengths: tuple[float, ...]  # candidate L2 strengths of the refutation direction
    direction_folds: int  # folds of the cross-validation that chooses among them
    direction_fallback: float  # the strength when no fold has both classes
    thresholds: dict[str, float]

    @classmethod
    def read(cls, path: str | Path | None = None) -> MatcherConfig:
        """The config in ``path`` (default: ``training/configs/matcher.toml``)."""
        doc = config.read(path or config.MATCHER)
        try:
            direction = doc["direction"]
            return cls(
                similarity_prior=dict(doc["similarity_prior"]), contradiction_prior=dict(doc["contradiction_prior"]),
                firm=dict(doc["firm"]), prior_strength=float(doc["prior_strength"]),
                direction_strengths=tuple(float(x) for x in direction["strengths"]), direction_folds=int(direction["folds"]),
                direction_fallback=float(direction["fallback"]), thresholds=dict(doc["thresholds"]),
            )
        except KeyError as e:
            raise ConfigError(f"{path or config.MATCHER}: missing {e.args[0]!r}") from None


@dataclass
class StanceData:
    """The stance benchmark as claims: one ClaimSet over every headline and body claim, and per
    (headline, body) row the claim rows of each side."""

    claims: ClaimSet
    rows: list[dict] = field(default_factory=list)   # {headline, body, stance, split, h: [rows], b: [rows]}


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


def load_stance(folder: Path, nlp, encoder, *, seed: int = SEED, limit: int | None = None) -> StanceData:
    """Read the stance benchmark in ``folder``, split its headlines and bodies into claims with
    ``nlp`` and embed them with ``encoder`` (``limit``: the first rows only, for tests)."""
    from claims.extract import extract
    from claims.sources import make_article

    stances, bodies = read_stance(folder, limit)
    headlines = sorted({r["Headline"] for r in stances})
    body_ids = sorted({r["Body ID"] for r in stances}, key=lambda b: int(b) if b.isdigit() else b)
    articles = [make_article(headline_sentence(h), path=f"headline {n}", fmt="text") for n, h in enumerate(headlines)]
    articles += [make_article(bodies[b], path=f"body {b}", fmt="text") for b in body_ids]
    extractions = list(extract(nlp, articles, min_words=1))
    ids, article_ids, texts, entities, titles, rows_of = [], [], [], [], [], []
    for n, (article, ex) in enumerate(zip(articles, extractions)):
        rows_of.append(list(range(len(ids), len(ids) + len(ex.claims))))
        for c in ex.claims:
            ids.append(c.claim_id), article_ids.append(article.article_id), texts.append(c.text)
            entities.append([e["text"] for e in c.entities]), titles.append(article.title or "")
    vectors = encoder.encode(texts)
    unique_titles = sorted(set(titles))
    title_vectors = dict(zip(unique_titles, encoder.encode(unique_titles)))
    claims = claim_set(ids, article_ids, texts, vectors, np.stack([title_vectors[t] for t in titles]) if titles else vectors,
                       entities, [frozenset()] * len(ids))
    head_rows = dict(zip(headlines, rows_of[: len(headlines)]))
    body_rows = dict(zip(body_ids, rows_of[len(headlines) :]))
    data = StanceData(claims)
    story = story_of(stances)
    for r, split in zip(stances, row_split(stances, seed)):
        data.rows.append({"headline": r["Headline"], "body": r["Body ID"], "stance": r["Stance"], "split": split,
                          "story": story["b:" + r["Body ID"]], "h": head_rows[r["Headline"]], "b": body_rows[r["Body ID"]]})
    return data


def row_pairs(data: StanceData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every (headline claim, body claim) pair of every row, with the row each belongs to."""
    i, j, owner = [], [], []
    for n, r in enumerate(data.rows):
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
    """Per row, the maximum of each column over the row's pairs (-inf-free: 0 where none)."""
    out = np.full((rows, values.shape[1]), -np.inf)
    np.maximum.at(out, owner, values)
    out[~np.isfinite(out)] = 0.0
    return out


def _contradiction_design(claims: ClaimSet, f: PairFeatures) -> np.ndarray:
    """gate * [1, cues...] and gate * (mean embedding of the pair): the contradiction model's inputs."""
    gate = f.values["gate"][:, None]
    cues = f.matrix([c for c in CUE_FEATURES if c != "refutation"])
    mean = (claims.vectors[f.i] + claims.vectors[f.j]) / 2.0
    return np.concatenate([gate, gate * cues, gate * mean], axis=1)


def _priors(
    dim: int, cfg: MatcherConfig, direction_strength: float = 1.0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """(prior, strength) of each weight of the similarity model and of the contradiction model,
    whose last ``dim`` weights (the refutation direction) have the prior 0 and
    ``direction_strength``."""
    sim_prior = np.array([cfg.similarity_prior[n] for n in SIMILARITY_FEATURES])
    sim_strength = np.array([cfg.firm.get(n, cfg.prior_strength) for n in SIMILARITY_FEATURES])
    names = [n for n in CONTRADICTION_FEATURES if n != "refutation"]
    con_prior = np.concatenate([[cfg.contradiction_prior[n] for n in names], np.zeros(dim)])
    con_strength = np.array([cfg.firm.get(n, cfg.prior_strength) for n in names] + [direction_strength] * dim)
    return (sim_prior, sim_strength), (con_prior, con_strength)


@dataclass
class Examples:
    """Training examples: the two models' inputs and labels, and each example's group (body)."""

    sim_X: np.ndarray
    con_X: np.ndarray
    related: np.ndarray
    contradicts: np.ndarray
    groups: np.ndarray
    weight: np.ndarray


def stance_examples(data: StanceData, split: str) -> Examples:
    """One example per (headline, body) row of ``split``: each feature's maximum over the row's pairs."""
    keep = [n for n, r in enumerate(data.rows) if r["split"] == split]
    i, j, owner = row_pairs(data)
    mask = np.isin(owner, keep)
    f = pair_features(data.claims, i[mask], j[mask])
    remap = {row: k for k, row in enumerate(keep)}
    local = np.array([remap[o] for o in owner[mask]], np.int64)
    sim = _row_max(f.matrix(SIMILARITY_FEATURES), local, len(keep))
    con = _row_max(_contradiction_design(data.claims, f), local, len(keep))
    stances = [data.rows[n]["stance"] for n in keep]
    return Examples(
        sim_X=sim, con_X=con,
        related=np.array([s in RELATED for s in stances]), contradicts=np.array([s == "disagree" for s in stances]),
        groups=np.array([data.rows[n]["story"] for n in keep]), weight=np.ones(len(keep)),
    )


def pair_examples(claims: ClaimSet, i: np.ndarray, j: np.ndarray, relations: Sequence[str], weight: float = 1.0) -> Examples:
    """One example per labelled pair: ``agree`` and ``contradict`` are related, ``contradict``
    contradicts; ``unrelated`` and ``different_event`` are neither (not the same truth conditions)."""
    f = pair_features(claims, i, j)
    return Examples(
        sim_X=f.matrix(SIMILARITY_FEATURES), con_X=_contradiction_design(claims, f),
        related=np.array([r in ("agree", "contradict") for r in relations]),
        contradicts=np.array([r == "contradict" for r in relations]),
        groups=np.array([f"pair {n}" for n in range(len(relations))]), weight=np.full(len(relations), weight),
    )


def _concat(parts: Iterable[Examples]) -> Examples:
    parts = list(parts)
    return Examples(*(np.concatenate([getattr(p, name) for p in parts]) for name in Examples.__dataclass_fields__))


def fit(examples: Examples, dim: int, direction_strength: float = 1.0, cfg: MatcherConfig | None = None) -> dict:
    """Fit both models; returns the matcher.json content (without version and meta)."""
    cfg = cfg or MatcherConfig.read()
    (sp, ss), (cp, cs) = _priors(dim, cfg, direction_strength)
    # Similarity keeps the data's own balance (a probability that two claims tell the same story);
    # contradiction weighs both classes alike (disagreement is rare in every source of examples).
    sim_b, sim_w = fit_logistic(examples.sim_X, examples.related, sp, ss, sample_weight=examples.weight, balanced=False)
    con_b, con_w = fit_logistic(examples.con_X, examples.contradicts, cp, cs, sample_weight=examples.weight)
    names = [n for n in CONTRADICTION_FEATURES if n != "refutation"]
    weights = dict(zip(names, con_w[: len(names)].round(6).tolist()))
    weights["refutation"] = 1.0
    return {
        "similarity": {"bias": round(sim_b, 6), "weights": dict(zip(SIMILARITY_FEATURES, sim_w.round(6).tolist()))},
        "contradiction": {"bias": round(con_b, 6), "weights": weights, "direction": con_w[len(names):].round(6).tolist()},
        "thresholds": dict(cfg.thresholds),
    }


def choose_direction_strength(
    data: StanceData, examples: Examples, split: str = "fit", cfg: MatcherConfig | None = None
) -> tuple[float, dict[float, float]]:
    """The refutation direction's L2 strength, among the config's candidates, with the best
    disagreement ROC AUC in a cross-validation on the fit half grouped by story (each fold's
    held-out rows scored, as always, by their best claim pair). Returns (the strength, mean AUC
    per strength)."""
    from sklearn.metrics import roc_auc_score

    cfg = cfg or MatcherConfig.read()
    folds = cfg.direction_folds
    keep = [n for n, r in enumerate(data.rows) if r["split"] == split]
    bodies = sorted(set(examples.groups))
    fold_of = {b: int(hashlib.sha256(b.encode("utf-8")).hexdigest(), 16) % folds for b in bodies}
    example_fold = np.array([fold_of[g] for g in examples.groups])
    # Held-out scoring needs pair-level inputs, for the related rows only (the AUC's population).
    i, j, owner = row_pairs(data)
    related_rows = [n for n in keep if data.rows[n]["stance"] in RELATED]
    mask = np.isin(owner, related_rows)
    f = pair_features(data.claims, i[mask], j[mask])
    design = _contradiction_design(data.claims, f)
    pair_row = owner[mask]
    scores: dict[float, float] = {}
    (_, _), (cp, _) = _priors(data.claims.vectors.shape[1], cfg)
    for strength in cfg.direction_strengths:
        (_, _), (_, cs) = _priors(data.claims.vectors.shape[1], cfg, strength)
        aucs = []
        for k in range(folds):
            train = example_fold != k
            b, w = fit_logistic(examples.con_X[train], examples.contradicts[train], cp, cs)
            held = [n for n in related_rows if fold_of[data.rows[n]["story"]] == k]
            in_fold = np.isin(pair_row, held)
            best = {n: -1e9 for n in held}  # a body without claims scores lowest
            for row, z in zip(pair_row[in_fold], design[in_fold] @ w + b):
                best[row] = max(best[row], z)
            y = [data.rows[n]["stance"] == "disagree" for n in held]
            if 0 < sum(y) < len(y):
                aucs.append(roc_auc_score(y, [best[n] for n in held]))
        scores[strength] = round(float(np.mean(aucs)), 4) if aucs else float("nan")
    valid = {k: v for k, v in scores.items() if v == v}  # NaN: no fold had both classes
    if not valid:
        return cfg.direction_fallback, scores
    return max(valid, key=lambda k: (valid[k], k)), scores


# -- evaluating ------------------------------------------------------------------------------

def evaluate_stance(matcher, data: StanceData, split: str = "report") -> dict:
    """On the rows of ``split``: relatedness ROC AUC (related vs unrelated, from each row's best
    pair similarity) and disagreement ROC AUC (among related rows, disagree vs agree and discuss,
    from the best pair contradiction), with how many rows and bodies each rests on."""
    keep = [n for n, r in enumerate(data.rows) if r["split"] == split]
    i, j, owner = row_pairs(data)
    mask = np.isin(owner, keep)
    f = pair_features(data.claims, i[mask], j[mask])
    similarity, contradiction = matcher.score(f, matcher.refutation(data.claims.vectors))
    best_sim = np.zeros(len(data.rows))
    best_con = np.zeros(len(data.rows))
    np.maximum.at(best_sim, owner[mask], similarity)
    np.maximum.at(best_con, owner[mask], contradiction)
    stances = np.array([data.rows[n]["stance"] for n in keep])
    related = np.isin(stances, list(RELATED))
    disagree = stances[related] == "disagree"
    bodies = np.array([data.rows[n]["body"] for n in keep])
    return {
        "split": split,
        "rows": len(keep), "bodies": len(set(bodies)),
        "related_rows": int(related.sum()), "unrelated_rows": int((~related).sum()),
        "relatedness_roc_auc": _auc(related, best_sim[keep]),
        "disagree_rows": int(disagree.sum()), "disagree_bodies": len(set(bodies[related][disagree])),
        "agree_discuss_rows": int((~disagree).sum()),
        "disagreement_roc_auc": _auc(disagree, best_con[keep][related]),
    }


def _auc(y: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC AUC, or None when only one class is present."""
    from sklearn.metrics import roc_auc_score

    return round(float(roc_auc_score(y, scores)), 4) if 0 < int(np.sum(y)) < len(y) else None


def _swapped_estimate(data: StanceData, cfg: MatcherConfig) -> dict:
    from claims.match import Matcher

    examples = stance_examples(data, "report")
    strength, _ = choose_direction_strength(data, examples, split="report", cfg=cfg)
    content = fit(examples, data.claims.vectors.shape[1], strength, cfg)
    matcher = Matcher(
        version="swapped", similarity_bias=content["similarity"]["bias"], similarity_weights=content["similarity"]["weights"],
        contradiction_bias=content["contradiction"]["bias"], contradiction_weights=content["contradiction"]["weights"],
        direction=np.array(content["contradiction"]["direction"]), thresholds=content["thresholds"], meta={},
    )
    return evaluate_stance(matcher, data, "fit") | {"direction_strength": strength}


def write_model(folder: Path, content: dict, meta: dict) -> str:
    """Write ``folder/matcher.json``; its version is ``matcher-<date>-<hash of the weights>``."""
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode("utf-8")).hexdigest()[:8]
    version = f"matcher-{date.today():%Y%m%d}-{digest}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "matcher.json").write_text(
        json.dumps({"version": version, **content, "meta": meta}, indent=1) + "\n", encoding="utf-8"
    )
    return version


def train(
    stance_folder: Path, out: Path = DEFAULT_MATCHER_DIR, *, nlp, encoder, extra: Examples | None = None, seed: int = SEED,
    limit: int | None = None, config_file: str | Path | None = None,
) -> dict:
    """Fit the matcher on the stance benchmark's fit half (plus ``extra`` labelled pairs), write
    it to ``out``, and return its figures on the report half. The hyperparameters are those of
    ``config_file`` (default ``training/configs/matcher.toml``)."""
    from claims.match import load_matcher

    cfg = MatcherConfig.read(config_file)
    started = time.perf_counter()
    data = load_stance(stance_folder, nlp, encoder, seed=seed, limit=limit)
    examples = stance_examples(data, "fit")
    strength, cv = choose_direction_strength(data, examples, cfg=cfg)
    if extra is not None and len(extra.related):
        examples = _concat([examples, extra])
    content = fit(examples, data.claims.vectors.shape[1], strength, cfg)
    meta = {
        "trained_on": {"stance_fit_rows": int((np.array([r["split"] for r in data.rows]) == "fit").sum()),
                       "human_pairs": 0 if extra is None else int(len(extra.related))},
        "encoder": getattr(encoder, "version", None), "seed": seed,
        "direction_strength": strength, "direction_strength_cv_auc": {str(k): v for k, v in cv.items()},
        "priors": {"similarity": cfg.similarity_prior, "contradiction": cfg.contradiction_prior, "firm": cfg.firm},
    }
    version = write_model(out, content, meta)
    load_matcher.cache_clear()
    figures = evaluate_stance(load_matcher(str(out)), data, "report")
    meta["report"] = figures
    # A second estimate from the other direction (fitted on the report half, measured on the fit
    # half; that model is not kept): one half of the rare disagree rows moves the figure a lot.
    meta["swapped"] = _swapped_estimate(data, cfg)
    meta["train_seconds"] = round(time.perf_counter() - started, 1)
    write_model(out, content, meta)  # the same weights, so the same version
    load_matcher.cache_clear()
    swapped = meta["swapped"]
    return {"version": version, **figures,
            "swapped_relatedness_roc_auc": swapped["relatedness_roc_auc"],
            "swapped_disagreement_roc_auc": swapped["disagreement_roc_auc"],
            "swapped_disagree_rows": swapped["disagree_rows"], "train_seconds": meta["train_seconds"]}
