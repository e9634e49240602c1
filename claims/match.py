"""Claims of different articles matched into pairs, each pair scored for how similar the two
claims are and how likely they cannot both be true, with the reasons for both.

Pure computation over arrays: the caller loads claims, their embeddings (claims/encoder.py) and
their articles' text from wherever they live, passes the NLI model (claims/nli.py), and stores
the pairs. The steps:

1. :func:`related_articles`: which articles tell the same story. The articles' TF-IDF cosine,
   the cosine of their mean claim embeddings and their best claim-to-claim cosine, combined by
   the matcher's relatedness model; an article keeps its ``max_related`` most related articles.
2. :func:`aligned_pairs`: within each related pair of articles, every claim against every claim
   of the other; the pair keeps its ``per_article`` closest claim pairs (a claim of the longer
   article in one of them at most), and as many more where an antonym or negation cue shows. The
   NLI model reads at most ``2 * per_article`` pairs per related article pair, so at most
   ``2 * per_article * max_related`` per article, whatever its length.
3. :func:`pair_features`: what a pair's scores rest on: the NLI cross-encoder's probabilities
   (both claims read together), the two sentences' cosine, the two articles' titles, shared
   names and words, the cues of claims/cues.py (antonyms, negation, refuting words, hedges,
   numbers, dates) that a sentence model sees poorly, and whether the fuller article's text
   disputes what it reports (refuting words: "hoax", "denied", "false").
4. :class:`Matcher` (a model file, claims/models/matcher/): ``relatedness`` of articles,
   ``similarity`` (same event, same truth conditions) and ``contradiction`` of claims as
   logistic models over those features, the model's relation for a pair, and the reasons people
   see.
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
# What a sentence model cannot see, or sees poorly: opposite words of a known axis, a negation or
# a hedge on one side only, refuting words, different numbers, different years.
CUE_FEATURES = ("antonym", "negation_mismatch", "refuting", "hedge_mismatch", "number_mismatch", "date_differs",
                "article_refuting")
# The NLI cross-encoder's judgement (claims/nli.py): "nli" is the log-odds that the two claims
# cannot both be true, "nli_entail" the probability that one follows from the other.
NLI_FEATURES = ("nli", "nli_entail")
CONTRADICTION_FEATURES = NLI_FEATURES + CUE_FEATURES

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
    contexts: list[str]                 # the claim with the sentences either side (its passage)
    # the refuting words of each claim's article with their counts (one dict per article, shared)
    article_refuting: list[dict[str, int]] | None = None

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
            "article_sizes": np.bincount(_codes(self.article_ids)) if len(p) else np.zeros(0, np.int64),
            # the same words in the same order (case and punctuation aside): one code
            "wording": _codes([" ".join(_lower_words(t)) for t in self.texts]),
            "article_refuting": np.log1p([sum(c.values()) for c in self.article_refuting]) if self.article_refuting is not None
            else np.zeros(len(p)),
        }

    def subset(self, rows: Sequence[int]) -> ClaimSet:
        """The claims of these rows, as a ClaimSet of their own."""
        rows = list(rows)
        pick = lambda values: [values[r] for r in rows]  # noqa: E731
        return ClaimSet(
            claim_ids=pick(self.claim_ids), article_ids=pick(self.article_ids), texts=pick(self.texts),
            vectors=self.vectors[rows], title_vectors=self.title_vectors[rows], entities=pick(self.entities),
            profiles=pick(self.profiles), times=pick(self.times), time_sources=pick(self.time_sources),
            contexts=pick(self.contexts), article_refuting=None if self.article_refuting is None else pick(self.article_refuting),
        )

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
    contexts: Sequence[str] | None = None,
    article_texts: dict[str, str] | None = None,
) -> ClaimSet:
    """Build a :class:`ClaimSet`: each claim's profile, names and time (its own years, else its
    article's, from :func:`article_years`); ``contexts``: each claim's passage (default: the
    claim alone); ``article_texts``: each article's text by id, for its refuting words."""
    from claims.cues import refuting_words

    profiles = [profile(t) for t in texts]
    refuting = None
    if article_texts is not None:
        words = {a: refuting_words(article_texts.get(a) or "") for a in set(article_ids)}
        refuting = [words[a] for a in article_ids]
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
        contexts=list(contexts) if contexts is not None else list(texts), article_refuting=refuting,
    )


# -- 1. candidates -------------------------------------------------------------------------------
#
# First the articles that tell the same story, then, within each such pair of articles, every
# claim against every claim of the other: each claim keeps its best counterparts *per related
# article*, so a story told by many articles in near-identical words cannot crowd out the one
# article that says otherwise.

ARTICLE_FEATURES = ("tfidf", "centroid", "best_cosine")


@dataclass(frozen=True, slots=True)
class ArticlePairs:
    """Pairs of articles (codes: positions in the sorted article ids of a ClaimSet, a < b) that
    share enough words or meaning to be compared, with what their relatedness rests on."""

    a: np.ndarray
    b: np.ndarray
    values: dict[str, np.ndarray]      # ARTICLE_FEATURES by name
    relatedness: np.ndarray
    related: np.ndarray                # bool: relatedness at least the matcher's threshold

    def __len__(self) -> int:
        return len(self.a)


def article_tfidf(texts: Sequence[str]):
    """Each article's TF-IDF vector (sublinear term frequency, English stop words left out,
    words and pairs of words), L2-normalised: a dot product is a cosine. Fitted on the articles
    being matched, so a word every article shares weighs little."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(sublinear_tf=True, stop_words="english", ngram_range=(1, 2), min_df=1, dtype=np.float32)
    try:
        return vectorizer.fit_transform(texts)
    except ValueError:  # no words at all (empty articles): nothing in common
        from scipy.sparse import csr_matrix

        return csr_matrix((len(texts), 1), dtype=np.float32)


def _article_rows(claims: ClaimSet) -> tuple[np.ndarray, np.ndarray]:
    """The claim rows sorted by article code, and where each article's rows start (n + 1)."""
    codes = claims.cue_arrays["articles"]
    order = np.argsort(codes, kind="stable")
    starts = np.searchsorted(codes[order], np.arange(codes.max() + 2 if len(codes) else 1))
    return order, starts


def _centroids(claims: ClaimSet) -> np.ndarray:
    """Each article's mean claim embedding (by article code), unit length."""
    codes = claims.cue_arrays["articles"]
    centroid = np.zeros((codes.max() + 1 if len(codes) else 0, claims.vectors.shape[1]), np.float32)
    np.add.at(centroid, codes, claims.vectors)
    return centroid / np.maximum(np.linalg.norm(centroid, axis=1, keepdims=True), 1e-12)


def article_features(claims: ClaimSet, tfidf, a: np.ndarray, b: np.ndarray, centroid: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """:data:`ARTICLE_FEATURES` of the article pairs (a[k], b[k]) (article codes): their TF-IDF
    cosine, the cosine of their mean claim embeddings (``centroid``, when already computed), and
    their best claim-to-claim cosine."""
    order, starts = _article_rows(claims)
    centroid = _centroids(claims) if centroid is None else centroid
    a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
    tfidf = tfidf.tocsr()
    t = np.asarray(tfidf[a].multiply(tfidf[b]).sum(axis=1)).ravel() if len(a) else np.zeros(0)
    best = np.zeros(len(a))
    for x in np.unique(a):  # every claim of x against every claim of its partners at once
        here = np.nonzero(a == x)[0]
        mine = order[starts[x] : starts[x + 1]]
        theirs = [order[starts[y] : starts[y + 1]] for y in b[here]]
        sizes = np.array([len(t) for t in theirs])
        if not len(mine) or not sizes.sum():
            continue
        sims = claims.vectors[mine] @ claims.vectors[np.concatenate(theirs)].T
        offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        best[here[sizes > 0]] = np.maximum.reduceat(sims.max(axis=0), offsets[sizes > 0])
    return {"tfidf": t.astype(np.float64), "centroid": np.einsum("ij,ij->i", centroid[a], centroid[b]).astype(np.float64),
            "best_cosine": best}


def related_articles(
    claims: ClaimSet, tfidf, new: np.ndarray, matcher: "Matcher", *, tfidf_floor: float = 0.02, centroid_floor: float = 0.4,
    max_related: int = 50, chunk: int = 256,
) -> ArticlePairs:
    """The article pairs with at least one article in ``new`` (article codes) worth comparing:
    TF-IDF cosine at least ``tfidf_floor`` or cosine of the mean claim embeddings at least
    ``centroid_floor``; each with its best claim-to-claim cosine and the matcher's relatedness.
    ``tfidf`` has one row per article code (the floors keep 97 % of the stance benchmark's related
    pairs of its fit half, as many as the relatedness threshold alone). An article keeps at most ``max_related`` related
    articles (the most related): the bound on what one claim is compared with."""
    centroid = _centroids(claims)
    n_articles = len(centroid)
    is_new = np.zeros(n_articles, bool)
    is_new[np.asarray(new, np.int64)] = True
    tfidf = tfidf.tocsr()
    found_a, found_b = [], []
    new = np.sort(np.asarray(new, np.int64))
    for s in range(0, len(new), chunk):
        rows = new[s : s + chunk]
        t = (tfidf[rows] @ tfidf.T).toarray()
        c = centroid[rows] @ centroid.T
        keep = (t >= tfidf_floor) | (c >= centroid_floor)
        partner = np.arange(n_articles)[None, :]
        keep &= partner != rows[:, None]
        keep &= ~is_new[None, :] | (partner > rows[:, None])  # two new articles: the pair once
        r, p = np.nonzero(keep)
        found_a.append(rows[r]), found_b.append(p)
    if not found_a:
        empty = np.zeros(0)
        return ArticlePairs(empty.astype(np.int64), empty.astype(np.int64), {n: empty for n in ARTICLE_FEATURES}, empty, empty.astype(bool))
    a, b = np.concatenate(found_a), np.concatenate(found_b)
    values = article_features(claims, tfidf, a, b, centroid)
    relatedness = matcher.relatedness(values)
    related = relatedness >= matcher.thresholds["related"]
    # The bound: the most related pairs first, a pair is kept while both its articles have fewer
    # than max_related related articles (of this run's pairs).
    counts = np.zeros(n_articles, np.int64)
    for k in np.nonzero(related)[0][np.argsort(-relatedness[related], kind="stable")].tolist():
        if counts[a[k]] < max_related and counts[b[k]] < max_related:
            counts[a[k]] += 1
            counts[b[k]] += 1
        else:
            related[k] = False
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    return ArticlePairs(lo, hi, values, relatedness, related)


def aligned_pairs(claims: ClaimSet, articles: ArticlePairs, *, per_article: int = 3) -> tuple[np.ndarray, ...]:
    """The candidate claim pairs of the related article pairs: each claim of the longer article
    with its most similar claim of the shorter one, and of those the ``per_article`` most similar
    (a headline against a body: the headline with its closest body claims), plus up to
    ``per_article`` more where a cue the NLI model should weigh shows (words of opposite sides of
    an antonym axis, a negation on one side only). A sentence that both articles word alike (a
    wire copy's shared background) says nothing of whether they disagree: such pairs come last. Returns (i, j, cosine, group): each unordered pair once, i's claim id
    below j's, and the related article pair (its position among the related ones) it belongs
    to; a group's pairs are together, the first the closest."""
    order, starts = _article_rows(claims)
    arrays = claims.cue_arrays
    wording, axes, negated = arrays["wording"], arrays["axes"], arrays["negated"]
    found_i, found_j, found_c, found_g = [], [], [], []
    related = zip(articles.a[articles.related].tolist(), articles.b[articles.related].tolist())
    for g, (x, y) in enumerate(related):
        rows_x, rows_y = order[starts[x] : starts[x + 1]], order[starts[y] : starts[y + 1]]
        if not len(rows_x) or not len(rows_y):
            continue
        if len(rows_x) < len(rows_y):
            rows_x, rows_y = rows_y, rows_x  # x: the longer article
        sims = claims.vectors[rows_x] @ claims.vectors[rows_y].T
        rank = sims - 4.0 * (wording[rows_x][:, None] == wording[rows_y][None, :])  # worded alike: last
        best = rank.argmax(axis=1)
        by_rank = np.argsort(-rank[np.arange(len(rows_x)), best], kind="stable")
        top, rest = by_rank[:per_article], by_rank[per_article:]
        if len(rest):
            cued = ((axes[rows_x[rest]] * axes[rows_y[best[rest]]]) < 0).any(axis=1)
            cued |= negated[rows_x[rest]] != negated[rows_y[best[rest]]]
            top = np.concatenate([top, rest[cued][:per_article]])
        found_i.append(rows_x[top]), found_j.append(rows_y[best[top]]), found_c.append(sims[top, best[top]])
        found_g.append(np.full(len(top), g))
    if not found_i:
        empty = np.zeros(0, np.int64)
        return empty, empty, np.zeros(0, np.float32), empty
    return unordered(claims, np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_c), np.concatenate(found_g))


def unordered(claims: ClaimSet, i: np.ndarray, j: np.ndarray, *columns: np.ndarray) -> tuple[np.ndarray, ...]:
    """Each unordered pair once, ordered by claim id (the warehouse's claim_id_a < claim_id_b),
    in the order first met, with its values of ``columns``."""
    rank = claims.cue_arrays["rank"]  # a claim's position in claim id order
    swap = rank[i] > rank[j]
    i, j = np.where(swap, j, i), np.where(swap, i, j)
    _, first = np.unique(i * len(claims) + j, return_index=True)
    first.sort()
    return (i[first], j[first], *(c[first] for c in columns))


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


def pair_features(
    claims: ClaimSet, i: np.ndarray, j: np.ndarray, cos: np.ndarray | None = None, nli: np.ndarray | None = None,
    read: np.ndarray | None = None,
) -> PairFeatures:
    """The features of the pairs (i[k], j[k]); ``cos`` when already computed; ``nli``: the NLI
    model's probabilities (entailment, neutral, contradiction) of each pair, without which the
    NLI features are 0 (enough for similarity, which does not read them); ``read``: whether the
    NLI model read each pair (default: all, when ``nli`` is given), kept as ``nli_read``."""
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
    values: dict[str, np.ndarray] = {
        "cos": cos,
        "cos_title": np.clip(title, -1, 1),
        "entity_overlap": entity,
        "word_overlap": words,
        "date_differs": dates,
        "antonym": ((axes[i] * axes[j]) < 0).sum(axis=1).astype(np.float64),
        "negation_mismatch": (neg[i] != neg[j]).astype(np.float64),
        "refuting": np.where(one_side_refutes, refuting[i] + refuting[j], 0.0),
        "hedge_mismatch": (hedge[i] != hedge[j]).astype(np.float64),
        "number_mismatch": numbers,
        "article_refuting": arrays["article_refuting"][premise_side(claims, i, j)[0]] if len(i) else np.zeros(0),
    }
    if nli is None:
        nli = np.tile(np.array([0.0, 1.0, 0.0]), (len(i), 1))
    p_contra = np.clip(np.asarray(nli, np.float64)[:, 2], 1e-4, 1 - 1e-4)
    values["nli"] = np.log(p_contra / (1 - p_contra))
    values["nli_entail"] = np.asarray(nli, np.float64)[:, 0]
    values["nli_contradiction"] = p_contra
    values["nli_read"] = np.ones(len(i)) if read is None else np.asarray(read, np.float64)
    return PairFeatures(i, j, values)


# -- 3. the model --------------------------------------------------------------------------------

def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -35, 35)))


@dataclass(frozen=True)
class Matcher:
    """Three logistic models, read from ``matcher.json``:

    ``relatedness`` of two articles = sigmoid(b + w . [tfidf, centroid, best_cosine])
    ``similarity`` of two claims = sigmoid(b + w . [cos, cos_title, entity_overlap, word_overlap, date_differs])
    ``contradiction`` of two claims = sigmoid(b + w . [nli, nli_entail, cues...])
    """

    version: str
    relatedness_bias: float
    relatedness_weights: dict[str, float]
    similarity_bias: float
    similarity_weights: dict[str, float]
    contradiction_bias: float
    contradiction_weights: dict[str, float]
    thresholds: dict[str, float]           # related (articles), similar, contradict, different_event
    meta: dict

    # scores --------------------------------------------------------------------------------
    def relatedness(self, values: dict[str, np.ndarray]) -> np.ndarray:
        z = self.relatedness_bias + sum((self.relatedness_weights.get(n, 0.0) * values[n] for n in ARTICLE_FEATURES),
                                        np.zeros(len(values[ARTICLE_FEATURES[0]])))
        return _sigmoid(z)

    def contributions(self, features: PairFeatures) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
        """Each feature's contribution (weight times value) to the two logits."""
        v = features.values
        sim = {n: self.similarity_weights.get(n, 0.0) * v[n] for n in SIMILARITY_FEATURES}
        contra = {n: self.contradiction_weights.get(n, 0.0) * v[n] for n in CONTRADICTION_FEATURES}
        return sim, contra

    def score(self, features: PairFeatures) -> tuple[np.ndarray, np.ndarray]:
        """(similarity, contradiction) of every pair, each in [0, 1]."""
        sim, contra = self.contributions(features)
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
    def reasons(self, claims: ClaimSet, features: PairFeatures) -> list[list[dict]]:
        """Per pair, the reasons people see: each a dict with ``cue`` (a stable name), ``detail``
        (words), ``score`` (similarity or contradiction) and ``weight`` (its contribution to that
        score's logit). The inference model's judgement always comes first; contradiction cues
        are listed only where they push towards contradiction; a date that only one claim gives
        is listed as ``date_unconfirmed``."""
        sim, contra = self.contributions(features)
        v = {name: values.tolist() for name, values in features.values.items()}
        sim = {name: values.round(3).tolist() for name, values in sim.items()}
        contra = {name: values.round(3).tolist() for name, values in contra.items()}
        out = []
        for k, (a, b) in enumerate(zip(features.i.tolist(), features.j.tolist())):
            items = [{"cue": "inference", "detail": _inference_words(v["nli_contradiction"][k], v["nli_entail"][k])
                      if v["nli_read"][k] else "worded alike, with no cue of a difference: not read by the inference model",
                      "score": "contradiction", "weight": round(contra["nli"][k] + contra["nli_entail"][k], 3)},
                     {"cue": "similar_wording", "detail": f"sentence cosine {v['cos'][k]:.2f}", "score": "similarity",
                      "weight": sim["cos"][k]}]
            if v["cos_title"][k] >= 0.5:
                items.append({"cue": "same_topic", "detail": f"article titles cosine {v['cos_title'][k]:.2f}",
                              "score": "similarity", "weight": sim["cos_title"][k]})
            if v["entity_overlap"][k] > 0:
                shared = sorted(claims.entities[a] & claims.entities[b])
                items.append({"cue": "shared_names", "detail": ", ".join(shared[:6]), "score": "similarity",
                              "weight": sim["entity_overlap"][k]})
            for cue in CUE_FEATURES:
                if cue == "date_differs":
                    continue  # said once, below, with both scores' weights
                if contra[cue][k] > 0.05 and v[cue][k] > 0:
                    items.append({"cue": cue, "detail": _cue_detail(cue, claims, a, b), "score": "contradiction",
                                  "weight": contra[cue][k]})
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


def _inference_words(contradiction: float, entailment: float) -> str:
    """The inference model's judgement of a pair in words."""
    if contradiction >= 0.5:
        verdict = "they cannot both be true"
    elif entailment >= 0.5:
        verdict = "one follows from the other"
    else:
        verdict = "neither follows from the other"
    return f"inference model: {verdict} (contradiction {contradiction:.2f}, entailment {entailment:.2f})"


def _cue_detail(cue: str, claims: ClaimSet, a: int, b: int) -> str:
    """What a contradiction cue found in claims a and b, in words."""
    pa, pb = claims.profiles[a], claims.profiles[b]
    if cue == "antonym":
        return "; ".join(_axis_words(name, pa, pb, claims.texts[a], claims.texts[b]) for name in _opposite(pa, pb))
    if cue == "number_mismatch":
        return f"{', '.join(sorted(pa.numbers))} against {', '.join(sorted(pb.numbers))}"
    if cue == "date_differs":
        return f"{_years(claims.times[a])} against {_years(claims.times[b])}"
    if cue == "article_refuting":
        fuller = int(premise_side(claims, np.array([a]), np.array([b]))[0][0])
        words = sorted(claims.article_refuting[fuller].items(), key=lambda w: (-w[1], w[0]))
        return "the fuller article disputes what it reports: " + ", ".join(f"{w} ({n})" if n > 1 else w for w, n in words[:6])
    return {
        "negation_mismatch": "one claim is negated, the other is not",
        "refuting": "refuting words on one side only",
        "hedge_mismatch": "one claim is hedged, the other asserted",
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
        part = lambda key: (float(data[key]["bias"]), {k: float(v) for k, v in data[key]["weights"].items()})  # noqa: E731
        (rb, rw), (sb, sw), (cb, cw) = part("relatedness"), part("similarity"), part("contradiction")
        return Matcher(
            version=data["version"], relatedness_bias=rb, relatedness_weights=rw, similarity_bias=sb, similarity_weights=sw,
            contradiction_bias=cb, contradiction_weights=cw,
            thresholds={k: float(v) for k, v in data["thresholds"].items()}, meta=data.get("meta", {}),
        )
    except (KeyError, TypeError, ValueError) as err:
        raise MatcherError(f"matcher file {path} is unreadable: {err}") from None


# -- all together ---------------------------------------------------------------------------------

@dataclass
class MatchResult:
    articles: ArticlePairs               # the article pairs compared (related or not)
    article_pairs: list[dict]            # article_pairs rows
    scored: int                          # claim pairs the inference model read
    rows: list[dict]                     # claim_pairs rows (unless they went to a sink)
    aligned: int = 0                     # claim pairs scored (read, or worded alike)


def match(
    claims: ClaimSet, article_texts: Sequence[str], new_articles: Sequence[str], matcher: Matcher, nli, *,
    per_article: int = 3, max_related: int = 50, min_cosine: float = 0.0, min_similarity: float = 0.5,
    min_contradiction: float = 0.3, sink: Callable[[list[dict]], None] | None = None, chunk: int = 20_000,
) -> MatchResult:
    """Match the claims of the ``new_articles`` (article ids) against the claims of every other
    article: the related article pairs (:func:`related_articles`, ``article_texts`` in the order
    of the sorted article ids), their aligned claim pairs (:func:`aligned_pairs`) whose cosine is
    at least ``min_cosine`` (and each related article pair's closest), each scored by ``nli`` (a
    claims.nli.PairModel) and the matcher. A pair is kept when its similarity is at least
    ``min_similarity`` or its contradiction at least ``min_contradiction``, and so is the most
    contradicting pair of each related article pair. Pairs are
    scored ``chunk`` at a time; with ``sink``, each chunk's rows go to it (to be stored) instead
    of into the result, so memory does not grow with them."""
    articles = sorted(set(claims.article_ids))
    position = {a: n for n, a in enumerate(articles)}
    new = np.array(sorted(position[a] for a in set(new_articles) if a in position), np.int64)
    if not len(new) or len(articles) < 2:
        empty = ArticlePairs(*(np.zeros(0, np.int64),) * 2, {n: np.zeros(0) for n in ARTICLE_FEATURES}, np.zeros(0), np.zeros(0, bool))
        return MatchResult(empty, [], 0, [], 0)
    pairs = related_articles(claims, article_tfidf(article_texts), new, matcher, max_related=max_related)
    i, j, cos, group = aligned_pairs(claims, pairs, per_article=per_article)
    closest = np.ones(len(group), bool)
    closest[1:] = group[1:] != group[:-1]  # a group's pairs come closest first
    read = (cos >= min_cosine) | closest
    i, j, cos, group = i[read], j[read], cos[read], group[read]
    rows: list[dict] = []
    counts: dict[str, int] = {}
    # Chunks end where a group does, so that each group's pairs are scored together.
    bounds = np.nonzero(np.diff(group))[0] + 1
    start = 0
    while start < len(i):
        after = bounds[bounds >= start + chunk]
        end = int(after[0]) if len(after) else len(i)
        part = score_pairs(claims, i[start:end], j[start:end], cos[start:end], matcher, nli,
                           min_similarity=min_similarity, min_contradiction=min_contradiction, group=group[start:end],
                           counts=counts)
        if sink is not None:
            sink(part)
        else:
            rows.extend(part)
        start = end
    return MatchResult(pairs, article_pair_rows(articles, pairs, matcher), counts.get("read", 0), rows, len(i))


def article_pair_rows(articles: Sequence[str], pairs: ArticlePairs, matcher: Matcher) -> list[dict]:
    """article_pairs rows (article ids in order, relatedness, related, features as JSON)."""
    import orjson

    table = np.round(np.stack([pairs.values[n] for n in ARTICLE_FEATURES], axis=1), 4).tolist() if len(pairs) else []
    return [{"article_id_a": articles[a], "article_id_b": articles[b], "relatedness": round(float(r), 6), "related": bool(k),
             "features": orjson.dumps(dict(zip(ARTICLE_FEATURES, t))).decode(), "matcher": matcher.version}
            for a, b, r, k, t in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.relatedness.tolist(), pairs.related.tolist(), table)]


def premise_side(claims: ClaimSet, i: np.ndarray, j: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(premise, hypothesis) rows of the pairs (i[k], j[k]): the premise is the claim whose
    article has more claims (the fuller account: a body against a headline)."""
    codes, sizes = claims.cue_arrays["articles"], claims.cue_arrays["article_sizes"]
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    swap = sizes[codes[i]] > sizes[codes[j]]
    return np.where(swap, i, j), np.where(swap, j, i)


# Two claims this alike, with no cue of a difference, say the same: the NLI model need not read them.
ALIKE_COSINE = 0.95


def worded_alike(claims: ClaimSet, i: np.ndarray, j: np.ndarray, cos: np.ndarray) -> np.ndarray:
    """The pairs worded nearly alike (sentence cosine at least :data:`ALIKE_COSINE`) with no cue
    of a difference: no words of opposite sides, no negation on one side only, no different
    numbers or years. Wire copies of one story are full of them; the NLI model does not read them
    (a dropped "not" or a changed figure is a cue, so that pair is read)."""
    alike = np.asarray(cos) >= ALIKE_COSINE
    k = np.nonzero(alike)[0]
    if not len(k):
        return alike
    a, b = np.asarray(i)[k], np.asarray(j)[k]
    arrays = claims.cue_arrays
    cued = ((arrays["axes"][a] * arrays["axes"][b]) < 0).any(axis=1) | (arrays["negated"][a] != arrays["negated"][b])
    cued |= _disjoint([q.numbers for q in claims.profiles], a, b, numbers_differ) > 0
    cued |= _disjoint(claims.times, a, b) > 0
    alike[k[cued]] = False
    return alike


# A hypothesis from an article of at most this many claims (a headline, a post) is read against
# the passage of the fuller article's claim: a body tells its stance around the sentence closest
# to the headline. Between two fuller articles, sentence against sentence: a passage dilutes a
# plain negation (P(contradiction) 0.94 with the sentence, 0.33 with its passage, for the
# sample's "predicted to rise" against "not predicted to rise") and costs twice the reading.
SHORT_ARTICLE_CLAIMS = 2


def read_pairs(claims: ClaimSet, i: np.ndarray, j: np.ndarray, nli) -> np.ndarray:
    """The NLI model's probabilities for the pairs (i[k], j[k]): premise the :func:`premise_side`
    claim (its passage when the other claim's article is short, :data:`SHORT_ARTICLE_CLAIMS`),
    hypothesis the other claim."""
    premise, hypothesis = premise_side(claims, i, j)
    sizes, codes = claims.cue_arrays["article_sizes"], claims.cue_arrays["articles"]
    short = sizes[codes[hypothesis]] <= SHORT_ARTICLE_CLAIMS
    premises = [claims.contexts[p] if s else claims.texts[p] for p, s in zip(premise.tolist(), short.tolist())]
    return nli.probabilities(premises, [claims.texts[h] for h in hypothesis.tolist()])


def score_pairs(
    claims: ClaimSet, i: np.ndarray, j: np.ndarray, cos: np.ndarray | None, matcher: Matcher, nli, *,
    min_similarity: float = 0.0, min_contradiction: float = 0.0, group: np.ndarray | None = None,
    counts: dict | None = None,
) -> list[dict]:
    """claim_pairs rows of the pairs (i[k], j[k]) (rows of ``claims``, i's claim id below j's)
    similar enough, or contradicting enough, to keep; ``nli`` reads each pair but those
    :func:`worded_alike` (they count as neutral: nothing to contradict). With ``group`` (each
    pair's related article pair, all of a group's pairs here), each group's most contradicting
    pair is kept too: every related article pair shows where it most disagrees. ``counts``
    ("read", "alike") is added to."""
    if not len(i):
        return []
    i, j = np.asarray(i, np.int64), np.asarray(j, np.int64)
    if cos is None:
        cos = np.einsum("ij,ij->i", claims.vectors[i], claims.vectors[j])
    read = ~worded_alike(claims, i, j, cos)
    probabilities = np.tile(np.array([0.0, 1.0, 0.0]), (len(i), 1))
    if read.any():
        probabilities[read] = read_pairs(claims, i[read], j[read], nli)
    if counts is not None:
        counts["read"] = counts.get("read", 0) + int(read.sum())
        counts["alike"] = counts.get("alike", 0) + int((~read).sum())
    features = pair_features(claims, i, j, cos, probabilities, read)
    similarity, contradiction = matcher.score(features)
    kept = (similarity >= min_similarity) | (contradiction >= min_contradiction)
    if group is not None:
        by_group = np.lexsort((-contradiction, group))  # each group's most contradicting pair first
        first = np.ones(len(by_group), bool)
        first[1:] = group[by_group][1:] != group[by_group][:-1]
        kept[by_group[first]] = True
    keep = np.nonzero(kept)[0]
    kept = PairFeatures(features.i[keep], features.j[keep], {n: v[keep] for n, v in features.values.items()})
    import orjson

    reasons = matcher.reasons(claims, kept)
    names = list(kept.values)
    table = np.round(np.stack([kept.values[n] for n in names], axis=1), 4).tolist() if len(keep) else []
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
