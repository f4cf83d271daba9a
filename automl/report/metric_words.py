"""Plain names and glosses of the classification metrics, in a task's own unit ("row", "message", "image").

Every classifier's report says the same of AUC or F1, only of its own examples;
a task takes the words of the metrics it has and adds or rewords its own::

    metrics={**classification_metric_names("f1", "log_loss", units="messages"),
             "accuracy": "share of messages labelled right (accuracy)"},
    metric_glosses=classification_metric_glosses("f1", "log_loss", "accuracy", unit="message", units="messages"),

The words go into the task's :class:`~automl.specs.TaskWords`, which the
report fills in (:mod:`automl.report.words`). This module imports nothing, so a
task that declares its words when it is imported loads neither the report's
templates nor its charts.
"""

from __future__ import annotations

CLASSIFICATION_METRICS = ("roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1", "f1_macro", "precision",
                          "recall")


def classification_metric_names(*metrics: str, units: str) -> dict[str, str]:
    """The plain names of ``metrics`` (all of :data:`CLASSIFICATION_METRICS` when none is named), in that order:
    ``{"roc_auc": "ranking quality (AUC)", "accuracy": "share of rows right (accuracy)", ...}``."""
    names = {
        "roc_auc": "ranking quality (AUC)",
        "log_loss": "probability error (log loss)",
        "accuracy": f"share of {units} right (accuracy)",
        "balanced_accuracy": "accuracy averaged over classes (balanced accuracy)",
        "f1": "balance of precision and recall (F1)",
        "f1_macro": "F1 averaged over classes (macro F1)",
        "precision": f"share of flagged {units} that are right (precision)",
        "recall": "share of positives found (recall)",
    }
    return {metric: names[metric] for metric in metrics or CLASSIFICATION_METRICS}


def classification_metric_glosses(*metrics: str, unit: str, units: str) -> dict[str, str]:
    """One-line glosses of ``metrics`` (all of :data:`CLASSIFICATION_METRICS` when none is named), in that order,
    shown in the glossary of a run that optimises the metric."""
    glosses = {
        "roc_auc": f"the chance that the model rates a random positive {unit} above a random negative one: 1 is "
                   "perfect, 0.5 is a coin toss",
        "log_loss": "how far the predicted probabilities are from what happened: 0 is perfect, lower is better",
        "accuracy": f"the share of {units} whose most likely answer is right",
        "balanced_accuracy": "the share found of each class, averaged so that rare classes count as much as "
                             "common ones: 1 is perfect",
        "f1": f"a balance of precision (flagged {units} that are right) and recall (positives found): 1 is perfect",
        "f1_macro": f"the F1 of each class (a balance of finding its {units} and being right about them), averaged "
                    "over the classes: 1 is perfect",
        "precision": f"of the {units} the model flags as positive, the share that really are: 1 is perfect",
        "recall": f"of the positive {units}, the share the model flags: 1 is perfect",
    }
    return {metric: glosses[metric] for metric in metrics or CLASSIFICATION_METRICS}
