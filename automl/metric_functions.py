"""Score functions of class probabilities and predicted values, shared by every task that classifies or regresses.

Each takes ``(y, prediction)``: a classifier's prediction is a
class-probability matrix (label metrics take the most probable class; the
positive class of a binary target is the second of the sorted classes), a
regressor's a vector of values. A plugin registers them under its own task
with :class:`automl.specs.MetricSpec`; they live here so that two tasks
scoring the same way (tabular and text classification) share one definition.

scikit-learn is imported when a score is computed, not when a plugin
registers its metrics: ``automl plugins`` and ``automl predict`` need only
the names (importing it takes about a second).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def _sk() -> Any:
    from sklearn import metrics

    return metrics


def roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    sk = _sk()
    if proba.shape[1] == 2:
        return sk.roc_auc_score(y, proba[:, 1])
    return sk.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=np.arange(proba.shape[1]))


def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    clipped = np.clip(proba, 1e-15, 1)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return _sk().log_loss(y, clipped, labels=np.arange(proba.shape[1]))


def label_metric(name: str, **kwargs: Any) -> Callable[[np.ndarray, np.ndarray], float]:
    """``sklearn.metrics.<name>`` of the most probable classes."""

    def score(y: np.ndarray, proba: np.ndarray) -> float:
        return getattr(_sk(), name)(y, np.argmax(proba, axis=1), **kwargs)

    return score


def value_metric(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """``sklearn.metrics.<name>`` of predicted values."""

    def score(y: np.ndarray, pred: np.ndarray) -> float:
        return getattr(_sk(), name)(y, pred)

    score.__name__ = name
    return score


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(_sk().mean_squared_error(y, pred)))
