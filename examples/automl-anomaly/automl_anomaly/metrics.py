"""The metrics of the anomaly task: how well the scores rank the known anomalies first.

``fn(y_true, raw_prediction) -> float``: the labels (1: a known anomaly) and
the calibrated anomaly scores. A set with no anomaly (a bootstrap resample can
draw one) has no ranking to judge: the score is then NaN, not an error.
scikit-learn is imported when a score is computed, not when the plugin registers.
"""

from __future__ import annotations

import numpy as np
from automl.kit import MetricSpec

from automl_anomaly.task import KIND, NAME


def _both_classes(y: np.ndarray) -> bool:
    return np.unique(np.asarray(y)).size == 2


def average_precision(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, score)) if _both_classes(y) else float("nan")


def roc_auc(y: np.ndarray, score: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y, score)) if _both_classes(y) else float("nan")


METRICS = (
    MetricSpec("average_precision", average_precision, "maximize", tasks=(NAME,), kinds=(KIND,),
               description="average precision of the anomaly scores against the labels (a random scorer: the "
                           "anomalies' share)"),
    MetricSpec("roc_auc", roc_auc, "maximize", tasks=(NAME,), kinds=(KIND,),
               description="area under the ROC curve of the anomaly scores (a random scorer: 0.5)"),
)
