"""Forecast accuracy: MASE (the default), sMAPE, RMSE and WAPE, and the 80% interval's coverage.

``y_true`` rows are ``[value, scale]`` (see :mod:`.task`); predictions are
``[point, lo_80, hi_80, lo_95, hi_95]`` (a bare point column also works).
MASE divides each absolute error by its series' in-sample seasonal-naive
error, so series of different sizes count alike and 1.0 means "as good as
repeating last season".
"""

from __future__ import annotations

import numpy as np

from automl.kit import MetricSpec

TASKS = ("forecast",)


def _parts(y_true: np.ndarray, prediction: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    y = np.asarray(y_true, dtype=float)
    p = np.asarray(prediction, dtype=float)
    point = p[:, 0] if p.ndim == 2 else p
    values, scale = (y[:, 0], y[:, 1]) if y.ndim == 2 else (y, np.ones(len(y)))
    return values, point, scale


def mase(y_true: np.ndarray, prediction: np.ndarray) -> float:
    values, point, scale = _parts(y_true, prediction)
    return float(np.mean(np.abs(values - point) / scale))


def smape(y_true: np.ndarray, prediction: np.ndarray) -> float:
    values, point, _ = _parts(y_true, prediction)
    denominator = np.abs(values) + np.abs(point)
    ratio = np.divide(2 * np.abs(values - point), denominator, out=np.zeros_like(values), where=denominator > 0)
    return float(100 * np.mean(ratio))


def rmse(y_true: np.ndarray, prediction: np.ndarray) -> float:
    values, point, _ = _parts(y_true, prediction)
    return float(np.sqrt(np.mean((values - point) ** 2)))


def wape(y_true: np.ndarray, prediction: np.ndarray) -> float:
    values, point, _ = _parts(y_true, prediction)
    return float(np.sum(np.abs(values - point)) / max(float(np.sum(np.abs(values))), 1e-12))


def coverage_80(y_true: np.ndarray, prediction: np.ndarray) -> float:
    p = np.asarray(prediction, dtype=float)
    if p.ndim != 2 or p.shape[1] < 3:
        return float("nan")
    values = _parts(y_true, prediction)[0]
    return float(np.mean((values >= p[:, 1]) & (values <= p[:, 2])))


METRICS = (
    MetricSpec("mase", mase, "minimize", tasks=TASKS, description="mean absolute scaled error (1 = seasonal naive)"),
    MetricSpec("smape", smape, "minimize", tasks=TASKS, description="symmetric mean absolute percentage error, 0-200"),
    MetricSpec("rmse", rmse, "minimize", tasks=TASKS, description="root mean squared error, in the target's units"),
    MetricSpec("wape", wape, "minimize", tasks=TASKS, description="total absolute error over total actuals"),
    MetricSpec("coverage_80", coverage_80, "maximize", tasks=TASKS,
               description="share of actuals inside the 80% interval (informative: aim for 0.80, not 1)"),
)
