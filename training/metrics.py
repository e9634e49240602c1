"""The figures a check-worthiness model is reported with, and the calibration and threshold
choice both kinds of model share. Pure functions of arrays (scikit-learn imported when called)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["best_threshold", "binary_metrics", "bootstrap_threshold", "calibrate", "ece", "platt", "reliability"]


def best_threshold(y: np.ndarray, p: np.ndarray, grid: np.ndarray) -> tuple[float, float]:
    """The threshold of ``grid`` with the best F1 of the positive class, and that F1 (the first
    of equals)."""
    best_t, best_f = float(grid[0]), -1.0
    pos = y.sum()
    for t in grid:
        pred = p >= t
        tp = int((pred & (y == 1)).sum())
        denom = int(pred.sum()) + pos
        f = 2 * tp / denom if denom else 0.0
        if f > best_f:
            best_t, best_f = float(t), f
    return best_t, best_f


def bootstrap_threshold(y: np.ndarray, p: np.ndarray, bootstraps: int, rng: np.random.Generator) -> float:
    """The mean, over ``bootstraps`` resamples of the rows drawn with ``rng``, of the F1-best
    threshold among the probabilities 0.05, 0.055, ..., 0.95: steadier than one pick."""
    grid = np.round(np.arange(0.05, 0.951, 0.005), 3)
    picks = []
    for _ in range(bootstraps):
        i = rng.integers(0, len(y), len(y))
        picks.append(best_threshold(y[i], p[i], grid)[0])
    return round(float(np.mean(picks)), 4)


def platt(z: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt calibration fitted on scores ``z`` and labels ``y``: (a, b) of
    ``1 / (1 + exp(-(a z + b)))``."""
    from sklearn.linear_model import LogisticRegression

    lr = LogisticRegression(C=1e6, max_iter=1000).fit(z.reshape(-1, 1), y)
    return float(lr.coef_[0][0]), float(lr.intercept_[0])


def calibrate(z: np.ndarray, a: float, b: float) -> np.ndarray:
    """Probabilities from scores ``z`` by the Platt calibration (a, b)."""
    return 1.0 / (1.0 + np.exp(-(a * z + b)))


def binary_metrics(y: np.ndarray, p: np.ndarray, threshold: float) -> dict:
    """Precision, recall and F1 of the positive class at ``threshold``, ROC AUC, Brier score and
    ECE of the probabilities ``p``, with how many rows and positives they rest on."""
    from sklearn.metrics import brier_score_loss, roc_auc_score

    pred = p >= threshold
    tp = int((pred & (y == 1)).sum())
    fp = int((pred & (y == 0)).sum())
    fn = int((~pred & (y == 1)).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    both = len(set(y.tolist())) == 2
    return {
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
        "roc_auc": round(float(roc_auc_score(y, p)), 4) if both else None,
        "brier": round(float(brier_score_loss(y, p)), 4) if len(y) else None,
        "ece": round(ece(y, p), 4) if len(y) else None,
        "n": int(len(y)),
        "positives": int(y.sum()),
        "threshold": round(float(threshold), 4),
    }


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ten equal-width probability bins."""
    idx = np.minimum((p * bins).astype(int), bins - 1)
    total = 0.0
    for b in range(bins):
        m = idx == b
        if m.any():
            total += m.sum() * abs(p[m].mean() - y[m].mean())
    return float(total / len(y))


def reliability(y: Sequence[int], p: Sequence[float], bins: int = 10) -> list[dict]:
    """Per probability bin: count, mean predicted probability, observed positive rate."""
    y, p = np.asarray(y), np.asarray(p)
    idx = np.minimum((p * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        m = idx == b
        if m.any():
            out.append({"bin": f"{b / bins:.1f}-{(b + 1) / bins:.1f}", "n": int(m.sum()),
                        "predicted": round(float(p[m].mean()), 3), "observed": round(float(y[m].mean()), 3)})
    return out
