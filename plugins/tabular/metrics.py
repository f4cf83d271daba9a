"""Metrics for tabular classification and regression.

Classifier outputs are class-probability matrices; label metrics take the
most probable class. The positive class of a binary target is the second of
the sorted classes (``1``, ``yes``, ``True``, ``>50K``).

scikit-learn is imported when a score is computed, not when the plugin
registers its metrics: ``automl plugins`` and ``automl predict`` need only
the names (importing it takes about a second).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from automl.kit import MetricSpec

TASKS = ("tabular",)
CLASSIFICATION = ("binary", "multiclass")


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.argmax(proba, axis=1)


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


def _label_metric(name: str, **kwargs: Any) -> Callable[[np.ndarray, np.ndarray], float]:
    """``sklearn.metrics.<name>`` of the most probable classes."""

    def score(y: np.ndarray, proba: np.ndarray) -> float:
        return getattr(_sk(), name)(y, _labels(proba), **kwargs)

    return score


def _value_metric(name: str) -> Callable[[np.ndarray, np.ndarray], float]:
    """``sklearn.metrics.<name>`` of predicted values."""

    def score(y: np.ndarray, pred: np.ndarray) -> float:
        return getattr(_sk(), name)(y, pred)

    score.__name__ = name
    return score


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(_sk().mean_squared_error(y, pred)))


METRICS = (
    MetricSpec("roc_auc", roc_auc, "maximize", True, TASKS, CLASSIFICATION, "area under the ROC curve"),
    MetricSpec("log_loss", log_loss, "minimize", True, TASKS, CLASSIFICATION, "cross-entropy of the probabilities",
               tie_breaker=True),
    MetricSpec("accuracy", _label_metric("accuracy_score"), "maximize", False, TASKS, CLASSIFICATION),
    MetricSpec(
        "balanced_accuracy", _label_metric("balanced_accuracy_score"), "maximize", False, TASKS, CLASSIFICATION
    ),
    MetricSpec("f1", _label_metric("f1_score", zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec("precision", _label_metric("precision_score", zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec("recall", _label_metric("recall_score", zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec(
        "f1_macro", _label_metric("f1_score", average="macro", zero_division=0), "maximize", False, TASKS,
        CLASSIFICATION,
    ),
    MetricSpec("rmse", rmse, "minimize", False, TASKS, ("regression",), "root mean squared error"),
    MetricSpec("mae", _value_metric("mean_absolute_error"), "minimize", False, TASKS, ("regression",),
               "mean absolute error"),
    MetricSpec("r2", _value_metric("r2_score"), "maximize", False, TASKS, ("regression",),
               "coefficient of determination"),
)
