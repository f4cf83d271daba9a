"""Metrics for tabular classification and regression.

Classifier outputs are class-probability matrices; label metrics take the
most probable class. The positive class of a binary target is the second of
the sorted classes (``1``, ``yes``, ``True``, ``>50K``).
"""

from __future__ import annotations

import numpy as np
from sklearn import metrics as sk

from automl import MetricSpec

TASKS = ("tabular",)
CLASSIFICATION = ("binary", "multiclass")


def _labels(proba: np.ndarray) -> np.ndarray:
    return np.argmax(proba, axis=1)


def roc_auc(y: np.ndarray, proba: np.ndarray) -> float:
    if proba.shape[1] == 2:
        return sk.roc_auc_score(y, proba[:, 1])
    return sk.roc_auc_score(y, proba, multi_class="ovr", average="macro", labels=np.arange(proba.shape[1]))


def log_loss(y: np.ndarray, proba: np.ndarray) -> float:
    clipped = np.clip(proba, 1e-15, 1)
    clipped = clipped / clipped.sum(axis=1, keepdims=True)
    return sk.log_loss(y, clipped, labels=np.arange(proba.shape[1]))


def _label_metric(fn, **kwargs):  # noqa: ANN001, ANN202
    def score(y: np.ndarray, proba: np.ndarray) -> float:
        return fn(y, _labels(proba), **kwargs)

    return score


def rmse(y: np.ndarray, pred: np.ndarray) -> float:
    return float(np.sqrt(sk.mean_squared_error(y, pred)))


METRICS = (
    MetricSpec("roc_auc", roc_auc, "maximize", True, TASKS, CLASSIFICATION, "area under the ROC curve"),
    MetricSpec("log_loss", log_loss, "minimize", True, TASKS, CLASSIFICATION, "cross-entropy of the probabilities"),
    MetricSpec("accuracy", _label_metric(sk.accuracy_score), "maximize", False, TASKS, CLASSIFICATION),
    MetricSpec(
        "balanced_accuracy", _label_metric(sk.balanced_accuracy_score), "maximize", False, TASKS, CLASSIFICATION
    ),
    MetricSpec("f1", _label_metric(sk.f1_score, zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec("precision", _label_metric(sk.precision_score, zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec("recall", _label_metric(sk.recall_score, zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec(
        "f1_macro", _label_metric(sk.f1_score, average="macro", zero_division=0), "maximize", False, TASKS,
        CLASSIFICATION,
    ),
    MetricSpec("rmse", rmse, "minimize", False, TASKS, ("regression",), "root mean squared error"),
    MetricSpec("mae", sk.mean_absolute_error, "minimize", False, TASKS, ("regression",), "mean absolute error"),
    MetricSpec("r2", sk.r2_score, "maximize", False, TASKS, ("regression",), "coefficient of determination"),
)
