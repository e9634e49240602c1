"""Claims of different articles matched into pairs, each pair scored for how similar the two
claims are and how likely they cannot both be true, with the reasons for both.

Pure computation over arrays: the caller loads claims and their embeddings (claims/encoder.py)
from wherever they live and stores the pairs. The steps:

1. :func:`neighbours`: for each query claim, its nearest claims of *other* articles by cosine
   (a faiss index over every claim's embedding; exact below ``hnsw_from`` claims, HNSW above),
   ``k`` at most; never all pairs in memory.
2. :func:`pair_features`: what a pair's scores rest on, the sentence alone and what it lacks: the
   two sentences' cosine, the two articles' titles, shared names and words, and the cues of
   claims/cues.py (antonyms, negation, refuting words, hedges, numbers, dates).
3. :class:`Matcher` (a model file, claims/models/matcher/): ``similarity`` (same story, same
   event) and ``contradiction`` as two logistic models over those features, the model's relation
   for the pair, and the reasons people see.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np

from claims.cues import AXES, Profile, numbers_differ, profile
from claims.errors import MatcherError

DEFAULT_MATCHER_DIR = Path(__file__).resolve().parent / "models" / "matcher"
MATCHER = "model"  # the setting's value for the shipped matcher

SIMILARITY_FEATURES = ("cos", "cos_title", "entity_overlap", "word_overlap", "date_differs")
# Contradiction features are gated by the pair's cosine (clipped to [0, 1]): a cue between two
# claims about different things says nothing. "refutation" is the mean of the two claims'
# projections on the model's learned refutation direction.
CUE_FEATURES = ("antonym", "negation_mismatch", "refuting", "hedge_mismatch", "number_mismatch", "date_differs", "refutation")
CONTRADICTION_FEATURES = ("gate",) + CUE_FEATURES

RELATIONS = ("agree", "contradict", "unrelated", "different_event")


@dataclass(frozen=True)
class ClaimSet:
    """The claims taking part in a match, as parallel arrays (row i is one claim)."""

    claim_ids: list[str]
    article_ids: list[str]
    texts: list[str]
    vectors: np.ndarray                 # (n, d) unit vectors of the claims
    title_vectors: np.ndarray           # (n, d) unit vectors of each claim's article title
    entities: list[frozenset[str]]      # names in the claim, lower case
    profiles: list[Profile]
    times: list[frozenset[int]]         # the years the claim speaks of: its own, else its article's
    time_sources: list[str | None]      # "claim", "article" or None (no year known)

    def __len__(self) -> int:
        return len(self.claim_ids)

    # What pair_features reads of every claim, computed once per set (matching scores pairs in
    # chunks). functools.cached_property writes to the instance's __dict__, frozen or not.
    @functools.cached_property
    def cue_arrays(self) -> dict[str, np.ndarray]:
        p = self.profiles
        return {
            "axes": np.array([q.axes for q in p], dtype=np.int8).reshape(len(p), len(AXES)),
            "negated": np.array([q.negations > 0 for q in p], dtype=bool),
            "hedged": np.array([q.hedges > 0 for q in p], dtype=bool),
            "refuting": np.array([min(q.refuting, 3) for q in p], dtype=np.float64),
            "articles": _codes(self.article_ids),
            "rank": _codes(self.claim_ids),
        }

    @functools.cached_property
    def word_matrix(self):
        return _incidence([q.words for q in self.profiles])

    @functools.cached_property
    def entity_matrix(self):
        return _incidence(self.entities)


def article_years(title: str | None, lead: str | None, published_at: datetime | None) -> frozenset[int]:
    """The years an article's event belongs to: those named in its title or first paragraph
    ("At the 2024 Munich Security Conference ..."), else the year it was published, else none."""
    years = profile(" ".join(t for t in (title, lead) if t)).years
    if years:
        return years
    return frozenset({published_at.year}) if published_at is not None else frozenset()


def article_event_years(title: str | None, text: str, published_at: datetime | None) -> frozenset[int]:
    """:func:`article_years` of an article: its title, its first paragraph (the first block that
    is not a heading) and its publication date."""
    from claims.blocks import split_blocks

    lead = next((text[b.start : b.end] for b in split_blocks(text) if b.kind != "heading"), None)
    return article_years(title, lead, published_at)


def claim_set(
    claim_ids: Sequence[str],
    article_ids: Sequence[str],
    texts: Sequence[str],
    vectors: np.ndarray,
    title_vectors: np.ndarray,
    entities: Sequence[Sequence[str]],
    article_time: Sequence[frozenset[int]],
) -> ClaimSet:
    """Build a :class:`ClaimSet`: each claim's profile, names and time (its own years, else its
    article's, from :func:`article_years`)."""
    profiles = [profile(t) for t in texts]
    times, sources = [], []
    for p, fallback in zip(profiles, article_time):
        if p.years:
            times.append(p.years), sources.append("claim")
        elif fallback:
            times.append(frozenset(fallback)), sources.append("article")
        else:
            times.append(frozenset()), sources.append(None)
    return ClaimSet(
        claim_ids=list(claim_ids), article_ids=list(article_ids), texts=list(texts),
        vectors=np.ascontiguousarray(vectors, dtype=np.float32),
        title_vectors=np.ascontiguousarray(title_vectors, dtype=np.float32),
        entities=[frozenset(e.lower() for e in names) for names in entities],
        profiles=profiles, times=times, time_sources=sources,
    )


# -- 1. candidates -------------------------------------------------------------------------------

def build_index(vectors: np.ndarray, *, hnsw_from: int = 100_000, queries: int | None = None, threads: int = 0):
    """A faiss inner-product index over unit vectors: exact (flat), or HNSW (M=32, efSearch 128)
    when there are at least ``hnsw_from`` vectors and the queries times the vectors exceed
    ``hnsw_from`` squared (a flat search grows with both; a few new claims against many are
    cheaper searched exactly than an HNSW graph is built)."""
    import faiss

    if threads:
        faiss.omp_set_num_threads(threads)
    d = vectors.shape[1]
    queries = len(vectors) if queries is None else queries
    if len(vectors) >= hnsw_from and queries * len(vectors) > hnsw_from**2:
        index = faiss.IndexHNSWFlat(d, 32, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = 80
        index.hnsw.efSearch = 128
    else:
        index = faiss.IndexFlatIP(d)
    index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index


@dataclass(frozen=True, slots=True)
class Neighbours:
    """Pairs found for query rows: (query row, neighbour row, cosine) in parallel arrays, in the
    order found, and per query row its nearest cosines to claims of other articles (closest
    first, at most k)."""

    i: np.ndarray
    j: np.ndarray
    cos: np.ndarray
    top: dict[int, list[float]]


def neighbours(
    index, claims: ClaimSet, queries: np.ndarray, *, k: int, slack: int = 16, batch: int = 4096,
    row_of: np.ndarray | None = None,
) -> Neighbours:
    """For each query row (indices into ``claims``), up to ``k`` nearest claims of other articles.
    The index is asked for ``k + slack`` hits; a query whose own article's claims take so many
    of them that fewer than ``k`` are left is asked again for ``k`` plus its article's size.
    ``row_of`` maps the index's ids to claim rows (an index over some claims only)."""
    article_codes = claims.cue_arrays["articles"]
    sizes = np.bincount(article_codes)
    row_of = np.arange(len(claims)) if row_of is None else row_of
    found_i, found_j, found_cos, top = [], [], [], {}

    def search(rows: np.ndarray, wanted: int, final: bool) -> np.ndarray:
        """Search; return the rows left short of k (with more hits possible) unless ``final``."""
        short = []
        wanted = min(wanted, index.ntotal)
        for start in range(0, len(rows), batch):
            chunk = rows[start : start + batch]
            scores, hits = index.search(claims.vectors[chunk], wanted)
            valid = hits >= 0
            other_rows = np.where(valid, row_of[np.clip(hits, 0, None)], -1)
            other = valid & (article_codes[np.clip(other_rows, 0, None)] != article_codes[chunk][:, None])
            keep = other & (np.cumsum(other, axis=1) <= k)  # hits come sorted by score
            counts = keep.sum(axis=1)
            again = (counts < k) & valid.all(axis=1) & (wanted < index.ntotal) & (not final)
            done = ~again
            r, c = np.nonzero(keep & done[:, None])
            found_i.append(chunk[r]), found_j.append(other_rows[r, c]), found_cos.append(scores[r, c])
            for n in np.nonzero(done)[0]:
                top[int(chunk[n])] = scores[n][keep[n]].astype(float).tolist()
            short.extend(chunk[again].tolist())
        return np.array(short, dtype=np.int64)

    short = search(np.asarray(queries, dtype=np.int64), k + slack, final=False)
    if len(short):
        search(short, k + int(sizes[article_codes[short]].max()), final=True)
    if not found_i:
        empty = np.zeros(0, np.int64)
        return Neighbours(empty, empty, np.zeros(0, np.float32), top)
    return Neighbours(np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_cos), top)


def unordered(claims: ClaimSet, i: np.ndarray, j: np.ndarray, cos: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Each unordered pair once, ordered by claim id (the warehouse's claim_id_a < claim_id_b)."""
    rank = claims.cue_arrays["rank"]  # a claim's position in claim id order
    swap = rank[i] > rank[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    _, first = np.unique(i * len(claims) + j, return_index=True)
    first.sort()
    return i[first], j[first], cos[first]


def candidates(
    claims: ClaimSet, queries: np.ndarray, *, k: int, hnsw_from: int = 100_000, earlier: dict[int, list[float]] | None = None,
    threads: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[int, list[float]]]:
    """The candidate pairs of a match: each query row with its ``k`` nearest claims of other
    articles; and, for the claims matched earlier (``earlier``: row -> its nearest cosines then),
    every query that is now closer to one of them than its k-th neighbour was, so a claim matched
    before a new article arrived gains the new claims a match of everything at once would give
    it. Returns (i, j, cosine) with each unordered pair once, and the nearest cosines of every
    query and of every earlier claim whose list changed."""
    queries = np.asarray(queries, dtype=np.int64)
    index = build_index(claims.vectors, hnsw_from=hnsw_from, queries=len(queries), threads=threads)
    found = neighbours(index, claims, queries, k=k)
    i, j, cos, top = [found.i], [found.j], [found.cos], dict(found.top)
    old = np.array(sorted(set(earlier or {}) - set(queries.tolist())), dtype=np.int64)
    if len(old) and len(queries):
        import faiss

        new_index = faiss.IndexFlatIP(claims.vectors.shape[1])
        new_index.add(claims.vectors[queries])
        back = neighbours(new_index, claims, old, k=k, row_of=queries)
        keep = np.zeros(len(back.i), dtype=bool)
        for n, (row, c) in enumerate(zip(back.i.tolist(), back.cos.tolist())):
            current = earlier[row]
            if len(current) < k or c > current[-1]:
                keep[n] = True
        for row in np.unique(back.i[keep]).tolist():
            closer = back.cos[keep & (back.i == row)].astype(float).tolist()
            top[row] = sorted(earlier[row] + closer, reverse=True)[:k]
        i.append(back.i[keep]), j.append(back.j[keep]), cos.append(back.cos[keep])
    a, b, c = unordered(claims, np.concatenate(i), np.concatenate(j), np.concatenate(cos))
    return a, b, c, top


def _codes(values: Sequence[str]) -> np.ndarray:
    _, codes = np.unique(np.array(values, dtype=object), return_inverse=True)
    return codes.astype(np.int64)


# -- 2. features ---------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class PairFeatures:
    """Features of m pairs (rows i[k], j[k] of a ClaimSet), by name."""

    i: np.ndarray
    j: np.ndarray
    values: dict[str, np.ndarray]

    def matrix(self, names: Sequence[str]) -> np.ndarray:
        return np.stack([self.values[n] for n in names], axis=1) if len(self.i) else np.zeros((0, len(names)))


def _incidence(sets: Sequence[frozenset]):
    """Sets as a sparse 0/1 matrix (one row per set, one column per element) and their sizes."""
    from scipy.sparse import csr_matrix

    vocabulary: dict = {}
    columns = [vocabulary.setdefault(x, len(vocabulary)) for s in sets for x in s]
    sizes = np.fromiter((len(s) for s in sets), np.int64, len(sets))
    indptr = np.concatenate([[0], np.cumsum(sizes)])
    matrix = csr_matrix((np.ones(len(columns), np.float32), np.array(columns, dtype=np.int64), indptr),
                        shape=(len(sets), max(len(vocabulary), 1)))
    return matrix, sizes


def _jaccard(incidence, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """|A & B| / |A | B| of the sets of rows i[k] and j[k] (0 where either is empty), from their
    incidence matrix (:func:`_incidence`) rather than set operations pair by pair."""
    matrix, sizes = incidence
    if not len(i) or not matrix.nnz:
        return np.zeros(len(i))
    common = np.asarray(matrix[i].multiply(matrix[j]).sum(axis=1)).ravel()
    union = sizes[i] + sizes[j] - common
    return np.where((sizes[i] > 0) & (sizes[j] > 0), common / np.maximum(union, 1), 0.0)


def _disjoint(sets: Sequence[frozenset], i: np.ndarray, j: np.ndarray, differ=None) -> np.ndarray:
    """1 where both rows' sets are non-empty and ``differ`` (default: they share nothing); the
    test runs only for those pairs."""
    filled = np.fromiter((bool(s) for s in sets), bool, len(sets))
    out = np.zeros(len(i))
    for k in np.nonzero(filled[i] & filled[j])[0]:
        out[k] = float(differ(sets[i[k]], sets[j[k]]) if differ else not (sets[i[k]] & sets[j[k]]))
    return out


def pair_features(claims: ClaimSet, i: np.ndarray, j: np.ndarray, cos: np.ndarray | None = None) -> PairFeatures:
    """The features of the pairs (i[k], j[k]); ``cos`` when the index already computed it."""
    i, j = np.asarray(i, dtype=np.int64), np.asarray(j, dtype=np.int64)
    if cos is None:
        cos = np.einsum("ij,ij->i", claims.vectors[i], claims.vectors[j]) if len(i) else np.zeros(0)
    cos = np.clip(np.asarray(cos, dtype=np.float64), -1, 1)
    # Titles belong to articles: each pair of articles' cosine is computed once.
    arrays = claims.cue_arrays
    articles = arrays["articles"]
    first_row = np.zeros(articles.max() + 1 if len(articles) else 0, np.int64)
    first_row[articles] = np.arange(len(articles))  # any row of an article: they share its title
    keys, inverse = np.unique(articles[i] * (len(first_row) + 1) + articles[j], return_inverse=True)
    ta, tb = first_row[keys // (len(first_row) + 1)], first_row[keys % (len(first_row) + 1)]
    title = np.einsum("ij,ij->i", claims.title_vectors[ta], claims.title_vectors[tb])[inverse] if len(i) else np.zeros(0)
    p = claims.profiles
    axes, neg, hedge, refuting = arrays["axes"], arrays["negated"], arrays["hedged"], arrays["refuting"]
    entity = _jaccard(claims.entity_matrix, i, j)
    words = _jaccard(claims.word_matrix, i, j)
    numbers = _disjoint([q.numbers for q in p], i, j, numbers_differ)
    dates = _disjoint(claims.times, i, j)
    one_side_refutes = (refuting[i] > 0) != (refuting[j] > 0)
    values = {
        "cos": cos,
        "cos_title": np.clip(title, -1, 1),
        "entity_overlap": entity,
        "word_overlap": words,
        "date_differs": dates,
        "gate": np.clip(cos, 0, 1),
        "antonym": ((axes[i] * axes[j]) < 0).sum(axis=1).astype(np.float64),
        "negation_mismatch": (neg[i] != neg[j]).astype(np.float64),
        "refuting": np.where(one_side_refutes, refuting[i] + refuting[j], 0.0),
        "hedge_mismatch": (hedge[i] != hedge[j]).astype(np.float64),
        "number_mismatch": numbers,
    }
    return PairFeatures(i, j, values)


# -- 3. the model --------------------------------------------------------------------------------

def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


@dataclass(frozen=True)
class Matcher:
    """Two logistic models over pair features, read from ``matcher.json``.

    ``similarity`` = sigmoid(b + w . [cos, cos_title, entity_overlap, word_overlap, date_differs])
    ``contradiction`` = sigmoid(b + w . gate * [1, cues..., refutation]) with gate = max(cos, 0)
    and refutation = the mean of the two claims' projections on ``direction``.
    """

    version: str
    similarity_bias: float
    similarity_weights: dict[str, float]
    contradiction_bias: float
    contradiction_weights: dict[str, float]
    direction: np.ndarray                  # (d,) the learned refutation direction
    thresholds: dict[str, float]           # relation thresholds: similar, contradict
    meta: dict

    # scores --------------------------------------------------------------------------------
    def refutation(self, vectors: np.ndarray) -> np.ndarray:
        """Each claim's projection on the refutation direction (computed once per claim)."""
        return vectors.astype(np.float64) @ self.direction if len(vectors) else np.zeros(0)

    def contributions(self, features: PairFeatures, refutation: np.ndarray) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Each feature's contribution (weight times value) to the two logits."""
        v = features.values
        sim = {n: self.similarity_weights.get(n, 0.0) * v[n] for n in SIMILARITY_FEATURES}
        gate = v["gate"]
        cues = dict(v)
        cues["refutation"] = (refutation[features.i] + refutation[features.j]) / 2 if len(features.i) else np.zeros(0)
        contra = {"gate": self.contradiction_weights.get("gate", 0.0) * gate}
        for n in CUE_FEATURES:
            contra[n] = self.contradiction_weights.get(n, 0.0) * gate * cues[n]
        return sim, contra

    def score(self, features: PairFeatures, refutation: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(similarity, contradiction) of every pair, each in [0, 1]."""
        sim, contra = self.contributions(features, refutation)
        m = len(features.i)
        s = self.similarity_bias + sum(sim.values(), np.zeros(m))
        c = self.contradiction_bias + sum(contra.values(), np.zeros(m))
        return _sigmoid(s), _sigmoid(c)

    def relation(self, similarity: float, contradiction: float, date_differs: bool) -> str:
        """The model's relation for a pair: what Label Studio pre-selects."""
        if date_differs and similarity >= self.thresholds.get("different_event", 0.3):
            return "different_event"
        if contradiction >= self.thresholds["contradict"]:
            return "contradict"
        if similarity >= self.thresholds["similar"]:
            return "agree"
        return "unrelated"

    # reasons -------------------------------------------------------------------------------
    def reasons(self, claims: ClaimSet, features: PairFeatures, refutation: np.ndarray) -> list[list[dict]]:
        """Per pair, the reasons people see: each a dict with ``cue`` (a stable name), ``detail``
        (words), ``score`` (similarity or contradiction) and ``weight`` (its contribution to that
        score's logit). Contradiction cues are listed only where they push towards contradiction;
        a date that only one claim gives is listed as ``date_unconfirmed``."""
        sim, contra = self.contributions(features, refutation)
        v = {name: values.tolist() for name, values in features.values.items()}
        sim = {name: values.round(3).tolist() for name, values in sim.items()}
        contra = {name: values.round(3).tolist() for name, values in contra.items()}
        out = []
        for k, (a, b) in enumerate(zip(features.i.tolist(), features.j.tolist())):
            items = [{"cue": "similar_wording", "detail": f"sentence cosine {v['cos'][k]:.2f}", "score": "similarity",
                      "weight": sim["cos"][k]}]
            if v["cos_title"][k] >= 0.5:
                items.append({"cue": "same_topic", "detail": f"article titles cosine {v['cos_title'][k]:.2f}",
                              "score": "similarity", "weight": sim["cos_title"][k]})
            if v["entity_overlap"][k] > 0:
                shared = sorted(claims.entities[a] & claims.entities[b])
                items.append({"cue": "shared_names", "detail": ", ".join(shared[:6]), "score": "similarity",
                              "weight": sim["entity_overlap"][k]})
            for cue in CUE_FEATURES:
                weight = contra[cue][k]
                if cue == "date_differs":
                    continue  # said once, below, with both scores' weights
                if weight > 0.05 and (cue == "refutation" or v[cue][k] > 0):
                    items.append({"cue": cue, "detail": _cue_detail(cue, claims, a, b), "score": "contradiction", "weight": weight})
            if v["date_differs"][k]:
                items.append({"cue": "different_dates", "detail": f"{_years(claims.times[a])} against {_years(claims.times[b])}: "
                              "perhaps different events, or one event given different dates",
                              "score": "similarity", "weight": sim["date_differs"][k],
                              "contradiction_weight": contra["date_differs"][k]})
            elif bool(claims.times[a]) != bool(claims.times[b]):
                dated = a if claims.times[a] else b
                items.append({"cue": "date_unconfirmed", "detail": f"one claim speaks of {_years(claims.times[dated])} "
                              f"({'its own words' if claims.time_sources[dated] == 'claim' else 'from its article'}), "
                              "the other gives no year: check that they are the same event",
                              "score": "similarity", "weight": 0.0})
            out.append(items)
        return out


def _cue_detail(cue: str, claims: ClaimSet, a: int, b: int) -> str:
    """What a contradiction cue found in claims a and b, in words."""
    pa, pb = claims.profiles[a], claims.profiles[b]
    if cue == "antonym":
        return "; ".join(_axis_words(name, pa, pb, claims.texts[a], claims.texts[b]) for name in _opposite(pa, pb))
    if cue == "number_mismatch":
        return f"{', '.join(sorted(pa.numbers))} against {', '.join(sorted(pb.numbers))}"
    if cue == "date_differs":
        return f"{_years(claims.times[a])} against {_years(claims.times[b])}"
    return {
        "negation_mismatch": "one claim is negated, the other is not",
        "refuting": "refuting words on one side only",
        "hedge_mismatch": "one claim is hedged, the other asserted",
        "refutation": "worded like a denial or debunking",
    }[cue]


def _opposite(a: Profile, b: Profile) -> list[str]:
    return [name for (name, _, _), x, y in zip(AXES, a.axes, b.axes) if x * y < 0]


def _axis_words(name: str, a: Profile, b: Profile, text_a: str, text_b: str) -> str:
    _, pos, neg = next(axis for axis in AXES if axis[0] == name)
    words_a = sorted(w for w in set(_lower_words(text_a)) if w in pos | neg)
    words_b = sorted(w for w in set(_lower_words(text_b)) if w in pos | neg)
    return f"{'/'.join(words_a) or '-'} against {'/'.join(words_b) or '-'} ({name.replace('_', ' / ')})"


def _lower_words(text: str) -> list[str]:
    import re

    return re.findall(r"[a-z]+", text.lower())


def _years(years: frozenset[int]) -> str:
    return "/".join(str(y) for y in sorted(years)) or "no year"


def pair_id(claim_a: str, claim_b: str) -> str:
    """The id of an unordered pair of claims: a hash of both ids in order."""
    a, b = sorted((claim_a, claim_b))
    return hashlib.sha256(f"{a}|{b}".encode("ascii")).hexdigest()[:16]


def matcher_files(name: str = MATCHER) -> Path:
    """The ``matcher.json`` of the shipped matcher (``model``) or of a folder."""
    folder = DEFAULT_MATCHER_DIR if name == MATCHER else Path(name)
    path = folder / "matcher.json"
    if not path.is_file():
        raise MatcherError(f"matcher {name!r}: no {path}")
    return path


@functools.lru_cache(maxsize=4)
def load_matcher(name: str = MATCHER) -> Matcher:
    """The matcher ``model`` (shipped) or the one in a folder made by ``claimflow train-matcher``."""
    path = matcher_files(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Matcher(
            version=data["version"],
            similarity_bias=float(data["similarity"]["bias"]),
            similarity_weights={k: float(v) for k, v in data["similarity"]["weights"].items()},
            contradiction_bias=float(data["contradiction"]["bias"]),
            contradiction_weights={k: float(v) for k, v in data["contradiction"]["weights"].items()},
            direction=np.array(data["contradiction"]["direction"], dtype=np.float64),
            thresholds={k: float(v) for k, v in data["thresholds"].items()},
            meta=data.get("meta", {}),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise MatcherError(f"matcher file {path} is unreadable: {err}") from None


# -- all together ---------------------------------------------------------------------------------

@dataclass
class MatchResult:
    rows: list[dict]                     # claim_pairs rows
    top: dict[int, list[float]]          # claim row -> its nearest cosines to other articles' claims


def match(
    claims: ClaimSet, queries: np.ndarray, matcher: Matcher, *, k: int = 10, min_similarity: float = 0.5,
    hnsw_from: int = 100_000, threads: int = 0, earlier: dict[int, list[float]] | None = None,
    sink: Callable[[list[dict]], None] | None = None, chunk: int = 50_000,
) -> MatchResult:
    """Match the ``queries`` rows against every claim of other articles (and the claims matched
    earlier against the queries, see :func:`candidates`): one dict per pair kept (similarity at
    least ``min_similarity``), with the warehouse's claim_pairs columns (pair_id, claim ids and
    article ids in claim id order, similarity, contradiction, relation, cosine, reasons and
    features as JSON, matcher). Pairs are scored ``chunk`` at a time; with ``sink``, each chunk's
    rows go to it (to be stored) instead of into the result, so memory does not grow with them."""
    if not len(queries) or len(claims) < 2:
        return MatchResult([], {})
    i, j, cos, top = candidates(claims, queries, k=k, hnsw_from=hnsw_from, earlier=earlier, threads=threads)
    rows: list[dict] = []
    for start in range(0, len(i), chunk):
        part = score_pairs(claims, i[start : start + chunk], j[start : start + chunk], cos[start : start + chunk], matcher,
                           min_similarity=min_similarity)
        if sink is not None:
            sink(part)
        else:
            rows.extend(part)
    return MatchResult(rows, top)


def score_pairs(
    claims: ClaimSet, i: np.ndarray, j: np.ndarray, cos: np.ndarray | None, matcher: Matcher, *, min_similarity: float = 0.0
) -> list[dict]:
    """claim_pairs rows of the pairs (i[k], j[k]) (rows of ``claims``, i's claim id below j's)
    similar enough to keep."""
    if not len(i):
        return []
    features = pair_features(claims, i, j, cos)
    refutation = matcher.refutation(claims.vectors)
    similarity, contradiction = matcher.score(features, refutation)
    keep = np.nonzero(similarity >= min_similarity)[0]
    kept = PairFeatures(features.i[keep], features.j[keep], {n: v[keep] for n, v in features.values.items()})
    import orjson

    reasons = matcher.reasons(claims, kept, refutation)
    cue_values = dict(kept.values)
    cue_values["refutation"] = (refutation[kept.i] + refutation[kept.j]) / 2 if len(keep) else np.zeros(0)
    names = list(cue_values)
    table = np.round(np.stack([cue_values[n] for n in names], axis=1), 4).tolist() if len(keep) else []
    sims, cons = similarity[keep].round(6).tolist(), contradiction[keep].round(6).tolist()
    cosines, dated = kept.values["cos"].round(6).tolist(), kept.values["date_differs"].tolist()
    ids, arts = claims.claim_ids, claims.article_ids
    rows = []
    for n, (a, b) in enumerate(zip(kept.i.tolist(), kept.j.tolist())):
        rows.append({
            "pair_id": pair_id(ids[a], ids[b]),
            "claim_id_a": ids[a], "claim_id_b": ids[b], "article_id_a": arts[a], "article_id_b": arts[b],
            "similarity": sims[n], "contradiction": cons[n], "relation": matcher.relation(sims[n], cons[n], bool(dated[n])),
            "cosine": cosines[n],
            "reasons": orjson.dumps(reasons[n]).decode(),
            "features": orjson.dumps(dict(zip(names, table[n]))).decode(),
            "matcher": matcher.version,
        })
    return rows
