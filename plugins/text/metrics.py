"""Metrics of the text task: the core's classification score functions, registered for task ``text``.

Predictions are class-probability matrices; the positive class of a binary
target is the second of the sorted classes (``spam`` after ``ham``).
"""

from __future__ import annotations

from automl.kit import MetricSpec, label_metric, log_loss, roc_auc

TASKS = ("text",)
CLASSES = ("binary", "multiclass")

METRICS = (
    MetricSpec("accuracy", label_metric("accuracy_score"), "maximize", False, TASKS, CLASSES,
               "share of texts whose most probable class is right"),
    MetricSpec("balanced_accuracy", label_metric("balanced_accuracy_score"), "maximize", False, TASKS, CLASSES,
               "mean recall over classes"),
    MetricSpec("f1", label_metric("f1_score", zero_division=0), "maximize", False, TASKS, ("binary",),
               "F1 of the positive (second sorted) class"),
    MetricSpec("f1_macro", label_metric("f1_score", average="macro", zero_division=0), "maximize", False, TASKS,
               CLASSES, "F1 averaged over classes, each class counting equally"),
    MetricSpec("log_loss", log_loss, "minimize", True, TASKS, CLASSES, "cross-entropy of the probabilities",
               tie_breaker=True),
    MetricSpec("roc_auc", roc_auc, "maximize", True, TASKS, ("binary",), "area under the ROC curve"),
)
