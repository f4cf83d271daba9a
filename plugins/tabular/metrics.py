"""Metrics for tabular classification and regression.

The score functions are the core's (``automl.kit``), shared with the text
task; this module registers them for task ``tabular``. The positive class of a
binary target is the second of the sorted classes (``1``, ``yes``, ``True``,
``>50K``).
"""

from __future__ import annotations

from automl.kit import MetricSpec, label_metric, log_loss, rmse, roc_auc, value_metric

TASKS = ("tabular",)
CLASSIFICATION = ("binary", "multiclass")

METRICS = (
    MetricSpec("roc_auc", roc_auc, "maximize", True, TASKS, CLASSIFICATION, "area under the ROC curve"),
    MetricSpec("log_loss", log_loss, "minimize", True, TASKS, CLASSIFICATION, "cross-entropy of the probabilities",
               tie_breaker=True),
    MetricSpec("accuracy", label_metric("accuracy_score"), "maximize", False, TASKS, CLASSIFICATION),
    MetricSpec(
        "balanced_accuracy", label_metric("balanced_accuracy_score"), "maximize", False, TASKS, CLASSIFICATION
    ),
    MetricSpec("f1", label_metric("f1_score", zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec("precision", label_metric("precision_score", zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec("recall", label_metric("recall_score", zero_division=0), "maximize", False, TASKS, ("binary",)),
    MetricSpec(
        "f1_macro", label_metric("f1_score", average="macro", zero_division=0), "maximize", False, TASKS,
        CLASSIFICATION,
    ),
    MetricSpec("rmse", rmse, "minimize", False, TASKS, ("regression",), "root mean squared error"),
    MetricSpec("mae", value_metric("mean_absolute_error"), "minimize", False, TASKS, ("regression",),
               "mean absolute error"),
    MetricSpec("r2", value_metric("r2_score"), "maximize", False, TASKS, ("regression",),
               "coefficient of determination"),
)
