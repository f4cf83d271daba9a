"""Metrics of the image task, on class-probability matrices (one column per class).

Names are per task, so these do not clash with the tabular plugin's metrics of
the same name; they are defined here so that the plugin depends on no other
plugin.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from automl.kit import MetricSpec

TASKS = ("image",)
KINDS = ("binary", "multiclass")


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.argmax(np.asarray(proba), axis=1)


def accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    return float(np.mean(_labels(proba) == np.asarray(y)))


def balanced_accuracy(y: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(y, _labels(proba)))


def f1_macro(y: np.ndarray, proba: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    labels = np.arange(np.asarray(proba).shape[1])
    return float(f1_score(y, _labels(proba), labels=labels, average="macro", zero_division=0))


def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    clipped = np.clip(np.asarray(proba, dtype=float), 1e-15, 1.0)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return float(-np.mean(np.log(clipped[np.arange(len(y)), np.asarray(y, dtype=int)])))


def _spec(name: str, fn: Callable[[np.ndarray, np.ndarray], float], direction: str, proba: bool,
          description: str, tie_breaker: bool = False) -> MetricSpec:
    return MetricSpec(name, fn, direction, proba, TASKS, KINDS, description,  # type: ignore[arg-type]
                      tie_breaker=tie_breaker)


METRICS = (
    _spec("accuracy", accuracy, "maximize", False, "share of images whose most probable class is right"),
    _spec("balanced_accuracy", balanced_accuracy, "maximize", False, "mean recall over classes"),
    _spec("f1_macro", f1_macro, "maximize", False, "F1 averaged over classes, each class counting equally"),
    _spec("log_loss", log_loss, "minimize", True, "cross-entropy of the class probabilities", tie_breaker=True),
)
