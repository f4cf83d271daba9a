"""How the final model's out-of-sample predictions look: confusion matrix, ROC, PR and
calibration for classes, residuals for numbers. Computed with scikit-learn from
``best/validation.npz``; any task whose predictions follow the core's
classification or regression contract gets them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from automl import limits
from automl.evidence.validation import Validation
from automl.report.charts import Chart, heatmap, line_chart, scatter_chart

MAX_CURVES = 8
MAX_POINTS = 4000
CALIBRATION_BINS = 10


def probabilities(validation: Validation, n_classes: int) -> np.ndarray | None:
    """Class probabilities as an (n, k) array, or None when the task predicts something else."""
    prediction = np.asarray(validation.prediction, dtype=float)
    if prediction.ndim == 1 and n_classes == 2:
        return np.column_stack([1 - prediction, prediction])
    if prediction.ndim == 2 and prediction.shape[1] == n_classes:
        return prediction
    return None


def classification_charts(validation: Validation, classes: Sequence[str], positive: int,
                          threshold: float | None = None) -> list[Chart]:
    """``threshold`` is the binary cut the summary talks about, so the matrix shows the same decisions."""
    from sklearn.calibration import calibration_curve
    from sklearn.metrics import (
        average_precision_score,
        precision_recall_curve,
        roc_auc_score,
        roc_curve,
    )

    proba = probabilities(validation, len(classes))
    if proba is None:
        return []
    y = np.asarray(validation.y).astype(int)
    predicted = proba.argmax(axis=1)
    names = [str(c) for c in classes]
    caption = "Validation rows by actual class (rows) and predicted class (columns)."
    if threshold is not None and len(names) == 2:
        predicted = np.where(proba[:, positive] >= threshold, positive, 1 - positive)
        caption += f" A row is predicted '{names[positive]}' when its probability is at least {threshold:.2f}."
    charts = [confusion_chart(y, predicted, names, caption)]
    curves = [positive] if len(names) == 2 else limits.largest_classes(y, len(names), MAX_CURVES)
    roc, pr = {}, {}
    for k in curves:
        truth = (y == k).astype(int)
        if truth.min() == truth.max():
            continue
        fpr, tpr, _ = roc_curve(truth, proba[:, k])
        precision, recall, _ = precision_recall_curve(truth, proba[:, k])
        roc[f"{names[k]} (AUC {roc_auc_score(truth, proba[:, k]):.3f})"] = _thin(fpr, tpr)
        pr[f"{names[k]} (AP {average_precision_score(truth, proba[:, k]):.3f})"] = _thin(recall, precision)
    if roc:
        charts.append(line_chart("roc_curve", "ROC curve", roc, xlabel="false positive rate",
                                 ylabel="true positive rate", diagonal=True,
                                 caption="How many true cases are caught (up) for how many false alarms (right)."))
        charts.append(line_chart("pr_curve", "Precision-recall curve", pr, xlabel="recall (share of cases found)",
                                 ylabel="precision (share of flags that are right)",
                                 caption="The trade-off between finding more cases and raising fewer false flags."))
    if len(names) == 2:
        truth, confidence = (y == positive).astype(int), proba[:, positive]
        label = f"P({names[positive]})"
    else:
        truth, confidence = (predicted == y).astype(int), proba.max(axis=1)
        label = "confidence of the predicted class"
    observed, expected = calibration_curve(truth, confidence, n_bins=CALIBRATION_BINS, strategy="quantile")
    charts.append(line_chart("calibration", "Calibration", {"model": (expected, observed)}, diagonal=True,
                             xlabel=f"predicted {label}", ylabel="observed frequency",
                             caption="Points on the dashed line mean the predicted probabilities can be taken "
                                     "at face value."))
    return charts


def regression_charts(validation: Validation, target: str) -> list[Chart]:
    y = np.asarray(validation.y, dtype=float)
    prediction = np.asarray(validation.prediction, dtype=float)
    if prediction.ndim != 1 or len(prediction) != len(y):
        return []
    rows = _sample(len(y))
    residual = y - prediction
    return [
        scatter_chart("residuals", "Residuals", prediction[rows], residual[rows], zero_line=True,
                      xlabel=f"predicted {target}", ylabel="actual − predicted",
                      caption="Errors should scatter evenly around zero; a pattern means the model misses "
                              "something systematic."),
        scatter_chart("actual_vs_predicted", "Actual vs predicted", prediction[rows], y[rows],
                      xlabel=f"predicted {target}", ylabel=f"actual {target}",
                      caption="Each dot is a validation row; a perfect model puts them on a straight line."),
    ]


def confusion_chart(y: np.ndarray, predicted: np.ndarray, names: Sequence[str], caption: str) -> Chart:
    """The confusion matrix of the ``MAX_CLASSES_DRAWN`` most frequent actual classes, plus "others".

    With many classes the full matrix is unreadable and its figure grows with
    the square of the classes (1,000 classes asked Matplotlib for a 450-inch
    canvas, gigabytes of pixels). Rows and columns are the same top classes;
    every other class, actual or predicted, is counted in the "others" row or
    column, so each row still sums to the rows of its class. Counted on the
    grouped codes: memory stays O(rows), never classes squared.
    """
    from sklearn.metrics import confusion_matrix

    n_classes = len(names)
    if n_classes <= limits.MAX_CLASSES_DRAWN:
        labels = list(names)
        matrix = confusion_matrix(y, predicted, labels=range(n_classes))
    else:
        kept = limits.largest_classes(y, n_classes)
        labels = [names[k] for k in kept] + [limits.others_label(n_classes - len(kept))]
        actual, guessed = (limits.group_codes(codes, kept, n_classes) for codes in (y, predicted))
        matrix = confusion_matrix(actual, guessed, labels=range(len(labels)))
        caption += (f" The {len(kept)} most frequent of the {n_classes:,} classes are shown; the others are "
                    "counted together in the last row and column.")
    return heatmap("confusion_matrix", "Confusion matrix", matrix, labels, labels, xlabel="predicted",
                   ylabel="actual", caption=caption)


def _thin(x: np.ndarray, y: np.ndarray) -> tuple[Any, Any]:
    """At most MAX_POINTS points per curve, so the SVG stays small."""
    if len(x) <= MAX_POINTS:
        return x, y
    keep = np.linspace(0, len(x) - 1, MAX_POINTS).astype(int)
    return x[keep], y[keep]


def _sample(n: int, seed: int = 0) -> np.ndarray:
    if n <= MAX_POINTS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_POINTS, replace=False))
