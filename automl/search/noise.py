"""Which validation differences are noise: the one-standard-error rule for label metrics.

Accuracy or F1 on a validation set of a few hundred positives moves by a point
per message, so the trial on top is often only the luckiest of several equal
ones. Among the trials whose score is within one bootstrap standard error of
the best (Breiman's one-standard-error rule), the one with the lowest
log-loss, a smooth score of the same predictions, is the better bet. On the
SMS spam benchmark the top F1 trial (validation 0.979) scored 0.948 on the
test set, while the lowest-log-loss trial, 0.005 lower on validation F1,
scored 0.962.
"""

from __future__ import annotations

import numpy as np

from automl.search.setup import SearchSetup

BOOTSTRAP_ROUNDS = 200


def applies(setup: SearchSetup, metrics: dict[str, float]) -> bool:
    """Only for metrics of predicted labels (not of probabilities), when the trials also recorded the task's
    smooth tie-breaking metric (``MetricSpec.tie_breaker``: log-loss)."""
    return not setup.metric.needs_proba and setup.tie_break_metric is not None and setup.tie_break_metric in metrics


def standard_error(setup: SearchSetup, predictions: np.ndarray) -> float:
    """The bootstrap standard error of the run's metric on these validation predictions."""
    y = np.asarray(setup.y_valid)
    predictions = np.asarray(predictions)
    rng = np.random.default_rng(setup.seed)
    scores = []
    for _ in range(BOOTSTRAP_ROUNDS):
        rows = rng.integers(0, len(y), len(y))
        try:
            scores.append(float(setup.metric.fn(y[rows], predictions[rows])))
        except ValueError:  # a resample without some class: skip it
            continue
    return float(np.std(scores)) if len(scores) > 1 else 0.0


def within(setup: SearchSetup, score: float, best: float, margin: float) -> bool:
    """Whether ``score`` is no more than ``margin`` worse than ``best``."""
    gap = best - score if setup.metric.direction == "maximize" else score - best
    return gap <= margin
