"""Has this been checked before? Each claim looked up in the fact-check library: candidates by
meaning (the sentence encoder's cosine of the claim, and of its passage: the claim with the
sentences either side) and by words (TF-IDF cosine of the passage against the fact-checks'
texts), fused by a small logistic model into a first score. The first stage's best few are then
read by a cross-encoder, the re-ranker (the NLI model taught that a passage entails the
fact-check that checks it), and its judgement and the first score give the final score in
[0, 1]; the best few are kept. The texts a caller passes are the passages; the vectors the
claims' and the passages'.

Pure computation over arrays: the caller reads the claims and the library (ids, texts, unit
vectors) from the warehouse and stores what comes back. The weights are in
``claims/models/lookup/lookup.json``, fitted by ``training/lookup.py`` on the CLEF 2020
verified-claim retrieval train set.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import special

DEFAULT_LOOKUP = Path(__file__).resolve().parent / "models" / "lookup" / "lookup.json"
FEATURES = ("cosine", "passage_cosine", "lexical")


def logit(p: np.ndarray) -> np.ndarray:
    """scipy's logit, kept finite: probabilities are clipped to [1e-6, 1 - 1e-6]."""
    return special.logit(np.clip(p, 1e-6, 1 - 1e-6))


@dataclass(frozen=True)
class Rerank:
    """The second stage: the ``top`` best of the first stage read by the cross-encoder in
    ``model`` (a folder: model.onnx, nli.json); the final score is a logistic model of the two
    judgements' logits (``first``: the first stage's score, ``rerank``: the cross-encoder's
    entailment probability)."""

    model: Path
    top: int
    bias: float
    weights: dict[str, float]

    def score(self, first: np.ndarray, entailment: np.ndarray) -> np.ndarray:
        return special.expit(self.bias + self.weights["first"] * logit(first) + self.weights["rerank"] * logit(entailment))

    def first_floor(self, min_score: float) -> float:
        """The lowest first score that can end at ``min_score`` or more (with the re-ranker as
        sure as it gets): below it, a candidate is never kept."""
        if self.weights["first"] <= 0:
            return 0.0
        z = (logit(np.array(min_score)) - self.bias - max(0.0, self.weights["rerank"]) * logit(np.array(1.0))) / self.weights["first"]
        return float(special.expit(z))


@dataclass(frozen=True)
class LookupModel:
    version: str
    bias: float
    weights: dict[str, float]
    rerank: Rerank | None = None

    def score(self, values: dict[str, np.ndarray]) -> np.ndarray:
        """The first stage's score of each candidate."""
        z = self.bias + sum((self.weights[n] * values[n] for n in FEATURES), np.zeros(len(values[FEATURES[0]])))
        return special.expit(z)

    def first_floor(self, min_score: float) -> float:
        return self.rerank.first_floor(min_score) if self.rerank else min_score


@functools.lru_cache(maxsize=4)
def load_lookup(path: str | None = None) -> LookupModel:
    file = Path(path or DEFAULT_LOOKUP)
    data = json.loads(file.read_text(encoding="utf-8"))
    second = data.get("rerank")
    rerank = Rerank(file.parent / second["model"], int(second["top"]), float(second["bias"]),
                    {k: float(v) for k, v in second["weights"].items()}) if second else None
    return LookupModel(data["version"], float(data["bias"]), {k: float(v) for k, v in data["weights"].items()}, rerank)


def load_reranker(model: LookupModel, threads: int = 0):
    """The cross-encoder of ``model``'s second stage (None without one)."""
    from claims.nli import load_nli

    return load_nli(str(model.rerank.model), threads) if model.rerank else None


def lexical_index(library_texts: Sequence[str]):
    """A TF-IDF vectorizer fitted on the library's texts (words and word pairs, sublinear term
    frequency, English stop words out) and the library's rows, L2-normalised."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2), min_df=1, dtype=np.float32)
    try:
        matrix = vectorizer.fit_transform(library_texts)
    except ValueError:  # no words at all
        return None, None
    return vectorizer, matrix.tocsr()


@dataclass(frozen=True)
class Match:
    claim: int          # row of the claims
    fact_check: int     # row of the library
    score: float
    rank: int
    cosine: float
    lexical: float
    first: float                 # the first stage's score
    entailment: float | None     # the re-ranker's judgement (None: not read by it)


def candidate_rows(
    claim_texts: Sequence[str], claim_vectors: np.ndarray, library_vectors: np.ndarray, index, *, k: int = 30,
    chunk: int = 512, passage_vectors: np.ndarray | None = None,
) -> Iterator[tuple[int, np.ndarray, dict[str, np.ndarray]]]:
    """Per claim (its row), the library rows of its ``k`` closest fact-checks by cosine (of the
    claim, or of its passage where closer) and its ``k`` closest by TF-IDF, with each one's
    :data:`FEATURES`. ``passage_vectors``: the passages' unit vectors (``claim_texts`` are the
    passages); without them the claim's cosine stands in."""
    vectorizer, matrix = index
    n_library = len(library_vectors)
    if not n_library:
        return
    k = min(k, n_library)
    for start in range(0, len(claim_texts), chunk):
        cos = claim_vectors[start : start + chunk] @ library_vectors.T
        passage = passage_vectors[start : start + chunk] @ library_vectors.T if passage_vectors is not None else cos
        lex = (vectorizer.transform(claim_texts[start : start + chunk]) @ matrix.T).toarray() if vectorizer is not None \
            else np.zeros_like(cos)
        closest = np.maximum(cos, passage)
        picked = np.concatenate([np.argpartition(-closest, k - 1, axis=1)[:, :k], np.argpartition(-lex, k - 1, axis=1)[:, :k]],
                                axis=1)
        for row in range(len(cos)):
            rows = np.unique(picked[row])
            yield start + row, rows, {"cosine": cos[row, rows].astype(np.float64),
                                      "passage_cosine": passage[row, rows].astype(np.float64),
                                      "lexical": lex[row, rows].astype(np.float64)}


@dataclass(frozen=True)
class Lookup:
    matches: list[Match]
    # Per claim, the first score of the last fact-check on its shortlist (NaN when the shortlist
    # was not full): a new fact-check must beat it to change the claim's matches.
    shortlist_floor: np.ndarray


def look_up(
    claim_texts: Sequence[str], claim_vectors: np.ndarray, library_vectors: np.ndarray, index, model: LookupModel, *,
    candidates: int = 30, top: int = 5, min_score: float = 0.0, claim_keys: Sequence | None = None,
    library_keys: Sequence | None = None, passage_vectors: np.ndarray | None = None,
    library_texts: Sequence[str] | None = None, reranker=None,
) -> Lookup:
    """The ``top`` fact-checks of each claim with a score of at least ``min_score``, among its
    :func:`candidate_rows`, scored by ``model``: its first stage, then (given the ``reranker``
    and the ``library_texts`` it reads) the first stage's best ``model.rerank.top`` read by the
    re-ranker and scored again. A fact-check whose ``library_keys`` entry is the claim's
    ``claim_keys`` entry (the desk's own review of that very claim) is not its match."""
    second = model.rerank if reranker is not None and library_texts is not None else None
    keep = second.top if second else top
    floor = model.first_floor(min_score)
    shortlist: list[tuple[int, np.ndarray, np.ndarray, dict[str, np.ndarray]]] = []
    shortlist_floor = np.full(len(claim_texts), np.nan)
    for row, rows, values in candidate_rows(claim_texts, claim_vectors, library_vectors, index, k=candidates,
                                            passage_vectors=passage_vectors):
        if claim_keys is not None and library_keys is not None:
            other = np.array([library_keys[r] != claim_keys[row] for r in rows.tolist()], bool)
            rows, values = rows[other], {n: v[other] for n, v in values.items()}
        first = model.score(values)
        best = np.argsort(-first, kind="stable")[:keep]
        best = best[first[best] >= floor]
        if len(best) == keep:
            shortlist_floor[row] = first[best[-1]]
        shortlist.append((row, rows[best], first[best], {n: v[best] for n, v in values.items()}))
    entailment = None
    if second:
        pairs = [(claim_texts[row], library_texts[r]) for row, rows, _, _ in shortlist for r in rows.tolist()]
        entailment = reranker.probabilities([a for a, _ in pairs], [b for _, b in pairs])[:, 0].astype(np.float64)
    out: list[Match] = []
    at = 0
    for row, rows, first, values in shortlist:
        judged = entailment[at : at + len(rows)] if entailment is not None else None
        at += len(rows)
        scores = second.score(first, judged) if judged is not None else first
        order = np.argsort(-scores, kind="stable")[:top]
        for rank, o in enumerate(order.tolist(), 1):
            if scores[o] < min_score:
                break
            out.append(Match(row, int(rows[o]), float(scores[o]), rank, float(values["cosine"][o]), float(values["lexical"][o]),
                             float(first[o]), float(judged[o]) if judged is not None else None))
    return Lookup(out, shortlist_floor)


def affected_claims(
    claim_texts: Sequence[str], claim_vectors: np.ndarray, new_vectors: np.ndarray, new_rows: np.ndarray, index,
    model: LookupModel, *, min_score: float, shortlist_floor: np.ndarray | None = None, chunk: int = 2048,
) -> np.ndarray:
    """The claims (rows) that a new fact-check (``new_vectors``, at rows ``new_rows`` of the
    library the index was fitted on) could match at ``min_score`` or more, which must be looked
    up again: those for which its first score enters the claim's shortlist (beats the claim's
    ``shortlist_floor``, NaN: any) and reaches the floor from which a final score can reach
    ``min_score``. The passages' vectors are not kept, so the claim's cosine stands in for its
    passage's here (the lookup itself reads both)."""
    vectorizer, matrix = index
    if not len(new_rows) or not len(claim_texts):
        return np.zeros(0, np.int64)
    new_lexical = matrix[new_rows] if matrix is not None else None
    hit = []
    for start in range(0, len(claim_texts), chunk):
        cos = claim_vectors[start : start + chunk] @ new_vectors.T
        lex = (vectorizer.transform(claim_texts[start : start + chunk]) @ new_lexical.T).toarray() if vectorizer is not None \
            else np.zeros_like(cos)
        flat = cos.ravel().astype(np.float64)
        best = model.score({"cosine": flat, "passage_cosine": flat, "lexical": lex.ravel().astype(np.float64)}).reshape(cos.shape)
        enter = np.ones(len(best), bool) if shortlist_floor is None else \
            ~(best.max(axis=1) <= shortlist_floor[start : start + chunk])  # NaN compares False: enters
        hit.append(start + np.nonzero((best.max(axis=1) >= model.first_floor(min_score)) & enter)[0])
    return np.concatenate(hit)
