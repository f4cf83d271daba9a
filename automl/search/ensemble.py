"""Greedy ensemble selection (Caruana et al., 2004) over the best trials.

Starting from the best single model, repeatedly add (with replacement) the
trial whose validation predictions most improve the averaged prediction's
score. The weights are the selection counts. It needs nothing but each trial's
saved validation predictions, so it works for any task whose outputs average.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automl.specs import MetricSpec


@dataclass(frozen=True)
class EnsembleResult:
    weights: dict[int, float]  # trial number -> weight, summing to 1
    score: float


def select(
    predictions: dict[int, np.ndarray],
    y_true: np.ndarray,
    metric: MetricSpec,
    rounds: int = 40,
    patience: int = 8,
) -> EnsembleResult:
    """Pick ensemble weights that maximise (or minimise) ``metric`` on validation data."""
    if not predictions:
        raise ValueError("no predictions to ensemble")
    trials = list(predictions)
    stacked = np.stack([np.asarray(predictions[t], dtype=float) for t in trials])
    single = [metric.fn(y_true, p) for p in stacked]
    first = int(np.argmax(single) if metric.direction == "maximize" else np.argmin(single))
    counts = np.zeros(len(trials))
    counts[first] = 1
    total = stacked[first].copy()
    best_score, best_counts = single[first], counts.copy()
    stale = 0
    for _ in range(rounds):
        n = counts.sum()
        candidates = [metric.fn(y_true, (total + stacked[i]) / (n + 1)) for i in range(len(trials))]
        pick = int(np.argmax(candidates) if metric.direction == "maximize" else np.argmin(candidates))
        counts[pick] += 1
        total += stacked[pick]
        if metric.better(candidates[pick], best_score):
            best_score, best_counts, stale = candidates[pick], counts.copy(), 0
        else:
            stale += 1
            if stale >= patience:
                break
    weights = {trials[i]: float(c / best_counts.sum()) for i, c in enumerate(best_counts) if c > 0}
    return EnsembleResult(weights=weights, score=float(best_score))


def blend(predictions: list[np.ndarray], weights: list[float]) -> np.ndarray:
    """The weighted average of several models' raw outputs."""
    return sum(w * np.asarray(p, dtype=float) for p, w in zip(predictions, weights, strict=True))
