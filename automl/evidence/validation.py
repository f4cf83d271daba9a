"""What the report stands on: the final model's out-of-sample predictions and the data's shape.

The search already holds every trial's validation predictions; at the end of a
run the final model's (the blend of its members') are written to
``best/validation.npz`` with the true values, the row positions and the fold of
each row. Every classification chart, the bootstrap interval, the fold spread
and the fairness slices are computed from this one file, so the report never
refits anything and never needs the training data again (except ``--slice-by``,
which reads one column of it).
"""

from __future__ import annotations

import logging
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from automl.records import RunRecord

VALIDATION_FILE = "validation.npz"
BOOTSTRAP_SAMPLES = 300
MIN_BOOTSTRAP_SAMPLES = 50  # resamples drawn even when a fit's time budget is used up
BOOTSTRAP_BUDGET_SHARE = 0.4  # of what is left of a fit's time budget when the interval is computed
MAX_MISSING_LISTED = 12


@dataclass(frozen=True)
class Validation:
    y: np.ndarray
    prediction: np.ndarray
    index: np.ndarray
    fold: np.ndarray

    def __len__(self) -> int:
        return len(self.y)


def save_validation(folder: Path, y: np.ndarray, prediction: np.ndarray, index: np.ndarray,
                    fold: np.ndarray) -> None:
    """Write the evidence file; a task whose targets are not plain arrays simply has none."""
    try:
        np.savez_compressed(folder / VALIDATION_FILE, y=np.asarray(y), prediction=np.asarray(prediction),
                            index=np.asarray(index), fold=np.asarray(fold), allow_pickle=False)
    except (ValueError, TypeError) as exc:
        (folder / VALIDATION_FILE).unlink(missing_ok=True)
        logging.getLogger(__name__).info("no validation evidence saved: %s", exc)


def load_validation(best: Path) -> Validation | None:
    path = best / VALIDATION_FILE
    if not path.is_file():
        return None
    check_npz_size(path)
    from automl.errors import UserError

    damaged = f"{path} is damaged or was not written by automl"
    try:
        with np.load(path, allow_pickle=False) as data:
            if any(key not in data for key in ("y", "prediction", "index", "fold")):
                return None
            validation = Validation(data["y"], data["prediction"], data["index"], data["fold"])
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:  # an object array (a pickle) is a ValueError
        raise UserError(f"{damaged} ({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}); "
                        "fit the run again to recreate it") from None
    arrays = (validation.y, validation.prediction, validation.index, validation.fold)
    if any(a.ndim == 0 or a.dtype.kind in "OV" for a in arrays) or len({len(a) for a in arrays}) != 1:
        raise UserError(f"{damaged} (its arrays are not plain arrays of one entry per row); fit the run again to "
                        "recreate it")
    return validation


def check_npz_size(path: Path, cap: int | None = None) -> None:
    """Refuse an ``.npz`` whose arrays declare more than ``cap`` bytes, before any is read.

    Each array's header states its shape, and NumPy allocates that much before
    decompressing: a few kilobytes of compressed zeros can declare a hundred
    gigabytes. The default cap (4 GB an array) is far above the evidence of any
    run this machine could have fitted.
    """
    from automl import limits
    from automl.errors import UserError

    cap = 4 * limits.MEMORY_CAP_BYTES if cap is None else cap
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.infolist():
                with archive.open(member) as handle:
                    version = np.lib.format.read_magic(handle)
                    reader = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                        np.lib.format.read_array_header_2_0
                    shape, _, dtype = reader(handle)
                size = limits.array_bytes(shape, dtype.itemsize)
                if size > cap:
                    raise UserError(f"{path} declares an array '{member.filename}' of shape {shape} "
                                    f"({limits.human_bytes(size)}), more than the {limits.human_bytes(cap)} "
                                    "a report may load; the file is damaged or was not written by automl")
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise UserError(f"{path} is damaged ({exc}); fit the run again to recreate it") from None


def training_data_problem(record: RunRecord) -> str | None:
    """Why the run's training data cannot be read again as it was (gone or changed), or None when it can.

    Sections that show rows (texts, images, series) read the data again; the
    fingerprint check keeps them from pairing predictions with different rows.
    """
    from automl.data import fingerprint

    data = record.data
    path = data.path
    if not path or not Path(path).exists():
        return f"the training data {path or '(not recorded)'} is gone"
    if data.fingerprint and fingerprint(path) != data.fingerprint:
        return f"the training data {path} changed since the run"
    return None


def fold_scores(metric: Any, validation: Validation) -> list[float]:
    """The metric on each fold separately: its spread is how much the score moves with the data."""
    scores = []
    for fold in np.unique(validation.fold):
        rows = validation.fold == fold
        try:
            scores.append(float(metric.fn(validation.y[rows], validation.prediction[rows])))
        except ValueError:  # a fold with one class has no AUC
            continue
    return scores


@dataclass(frozen=True)
class Interval:
    """A 90% bootstrap interval and the score it is printed around: the same statistic on the same rows."""

    estimate: float
    low: float
    high: float
    n: int  # units resampled (rows, or the metric's own unit such as users)
    unit: str
    widened: bool = False  # the percentile interval missed the estimate and was stretched to reach it


def bootstrap_interval(metric: Any, validation: Validation, seed: int = 0,
                       samples: int = BOOTSTRAP_SAMPLES) -> Interval | None:
    """The validation score and a 90% bootstrap interval around it, resampling what the score averages over.

    A metric that is a mean over another unit than the row (NDCG over users)
    gives its per-unit values (``MetricSpec.unit_scores``) and those are
    resampled; resampling its rows instead drops some of each user's held-out
    items and puts every resample below the score (issue 16: 0.106 to 0.118
    around 0.1565). Otherwise rows are resampled, and each resample copies the
    predictions: when one copy would pass the memory cap (many rows times many
    classes) the interval is left out and the confidence sentence keeps the
    fold spread only. A metric with ``bootstrap=False`` has no interval.

    The interval is the 5th to 95th percentile of the resampled scores. A
    statistic that is biased on resamples (R² of a near-constant model: every
    resample scores below it; AUC on a few rows with ties) can leave its own estimate outside that range; then the
    interval is stretched to the estimate and ``widened`` says so, and the
    report prints that, rather than an interval beside its number. BCa
    (``scipy.stats.bootstrap``) was not used: its jackknife computes the
    metric once per row (minutes for AUC on 100,000 rows), and it is
    undefined exactly when every resample falls on one side of the estimate,
    the case that needs an answer.
    """
    from automl.evidence import budget

    if not getattr(metric, "bootstrap", True):
        return None
    prepared = _statistic(metric, validation)
    if prepared is None:
        return None
    estimate, statistic, n = prepared
    rng = np.random.default_rng(seed)
    scores = []
    stop = time.perf_counter() + BOOTSTRAP_BUDGET_SHARE * budget.seconds_left()  # infinite outside a fit
    attempted = 0
    for _ in range(samples):
        if attempted >= MIN_BOOTSTRAP_SAMPLES and time.perf_counter() > stop:
            break  # the fit's time budget is nearly used: fewer resamples, a slightly noisier interval
        attempted += 1
        try:
            score = statistic(rng.integers(0, n, n))
        except ValueError:  # a resample with one class has no AUC
            continue
        if np.isfinite(score):
            scores.append(score)
    if not scores or len(scores) < attempted // 2:
        return None
    low, high = (float(v) for v in np.percentile(scores, [5, 95]))
    slack = 1e-9 * max(1.0, abs(estimate))  # summing in another order moves a mean by a rounding error
    widened = estimate < low - slack or estimate > high + slack
    return Interval(estimate, min(low, estimate), max(high, estimate), n, str(getattr(metric, "unit", "rows")),
                    widened)


def _statistic(metric: Any, validation: Validation) -> tuple[float, Callable[[np.ndarray], float], int] | None:
    """(the score on all the evidence, the score of a resample given its unit positions, the number of units)."""
    from automl import limits

    log = logging.getLogger(__name__)
    y, prediction = validation.y, validation.prediction
    try:
        estimate = float(metric.fn(y, prediction))
    except ValueError:
        return None
    if not np.isfinite(estimate):
        return None
    per_unit = getattr(metric, "unit_scores", None)
    if per_unit is not None:
        values = np.asarray(per_unit(y, prediction), dtype=float)
        if values.ndim != 1 or not np.isclose(float(np.mean(values)), estimate, rtol=1e-9, atol=1e-12):
            log.warning("no bootstrap interval: the metric's per-unit scores do not average to its score")
            return None
        n = len(values)
        return (estimate, lambda units: float(np.mean(values[units])), n) if n >= 20 else None
    n = len(validation)
    if n < 20:
        return None
    if limits.too_big(np.asarray(prediction).nbytes):
        log.warning(limits.skipped_note("the bootstrap interval", np.asarray(prediction).nbytes))
        return None
    return estimate, lambda rows: float(metric.fn(y[rows], prediction[rows])), n


def summarize_dataset(dataset: Any) -> dict[str, Any]:
    """Rows, columns, missing values and class balance, stored in run.json when the data is loaded."""
    import pandas as pd

    summary: dict[str, Any] = {"rows": int(dataset.n_rows), "notes": list(dataset.notes)}
    X = dataset.X
    if isinstance(X, pd.DataFrame):
        missing = X.isna().sum()
        summary["columns"] = int(X.shape[1])
        summary["missing_cells"] = int(missing.sum())
        summary["missing_by_column"] = {str(k): int(v) for k, v in
                                        missing[missing > 0].sort_values(ascending=False)
                                        .head(MAX_MISSING_LISTED).items()}
    columns = dataset.schema.get("columns") if isinstance(dataset.schema, dict) else None
    if isinstance(columns, dict):
        summary["column_types"] = {str(name): str(spec.get("type", "")) if isinstance(spec, dict) else str(spec)
                                   for name, spec in columns.items()}
    dropped = dataset.schema.get("dropped") if isinstance(dataset.schema, dict) else None
    if isinstance(dropped, dict):
        summary["dropped"] = {str(k): str(v) for k, v in dropped.items()}
    if dataset.classes is not None and dataset.y is not None:
        labels, counts = np.unique(np.asarray(dataset.y), return_counts=True)
        names = [str(dataset.classes[int(i)]) if _is_code(i, dataset.classes) else str(i) for i in labels]
        summary["class_counts"] = dict(zip(names, (int(c) for c in counts), strict=True))
    return summary


def _is_code(value: Any, classes: list[Any]) -> bool:
    return isinstance(value, (int, np.integer)) and 0 <= int(value) < len(classes)
