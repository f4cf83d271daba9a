"""Which columns the final model relies on: permutation importance and SHAP.

Both are measured on rows the models did not train on. The final model's
members were refit on all the data, so their trials' fold models stand in for
them: each validation row is predicted by the fold model that did not see it,
which reproduces the out-of-fold predictions the leaderboard scored.

Importance is per column of the user's table, not per derived feature: a date
becomes several features (year, month, ...) that are permuted together, and
their SHAP values are summed (SHAP values are additive).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import RunRecord, UserError, Validation

MAX_ROWS = 1000
REPEATS = 5
TIME_LIMIT_SECONDS = 20.0
BUDGET_SHARE = 0.5  # of the time left in a budgeted fit when the importances are computed (importance.py)


@dataclass(frozen=True)
class Importance:
    column: str
    mean: float
    std: float


def feature_groups(schema: dict[str, Any]) -> dict[str, list[str]]:
    """Each raw column and the model features made from it."""
    groups = {}
    for name, spec in schema["columns"].items():
        parts = spec.get("parts") if spec.get("type") == "datetime" else None
        groups[name] = [f"{name}__{part}" for part in parts] if parts else [name]
    return groups


def training_features(record: RunRecord, schema: dict[str, Any]) -> pd.DataFrame | None:
    """The training table's features in the run's row order, or None when the file is gone or changed."""
    from automl.kit import fingerprint, read_table, to_features

    data = record.data
    path = data.path
    try:
        if not path or fingerprint(path) != data.fingerprint:
            return None
        frame = read_table(path)
    except OSError:
        return None
    target = schema.get("target")
    if target in frame.columns:
        frame = frame.loc[frame[target].notna()].reset_index(drop=True)
    if len(frame) != data.rows:
        return None
    return to_features(frame, schema["columns"])


def fold_models_available(run: Any) -> bool:
    """Whether every member's trial kept its fold models in the safe archive (older runs pickled them)."""
    numbers = [m.trial for m in run.model_record().members]
    return all(isinstance(n, int) and run.has_fold_models(n) for n in numbers)


class FoldPredictor:
    """The final model's out-of-fold predictions: each row through the fold model that did not train on it."""

    def __init__(self, run: Any, validation: Validation, rows: np.ndarray) -> None:
        self.fold = validation.fold[rows]
        self.members = []
        for member in run.model_record().members:
            models = run.fold_models(member.trial)
            if len(self.fold) and int(self.fold.max()) >= len(models):
                raise UserError(f"trial {member.trial} holds {len(models)} fold models, but the validation "
                                "predictions have more folds; the run directory was modified or is corrupt")
            self.members.append((models, float(member.weight or 0.0), member.model))

    def predict(self, X: pd.DataFrame, copies: int = 1) -> np.ndarray:
        """The blend's predictions for ``X``: the explained rows, or ``copies`` altered copies of them one after
        the other (each row still through the fold model that did not train on it)."""
        folds = np.tile(self.fold, copies)
        out: np.ndarray | None = None
        for models, weight, _ in self.members:
            predicted: np.ndarray | None = None
            for fold in np.unique(folds):
                mask = folds == fold
                part = np.asarray(models[int(fold)].predict(X.iloc[np.flatnonzero(mask)]), dtype=float)
                if predicted is None:
                    predicted = np.zeros((len(X), *part.shape[1:]))
                predicted[mask] = part
            out = weight * predicted if out is None else out + weight * predicted
        assert out is not None
        return out


def sample_rows(validation: Validation, seed: int) -> np.ndarray:
    """Positions in the validation arrays to explain: all of them, or a random MAX_ROWS."""
    n = len(validation)
    if n <= MAX_ROWS:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, MAX_ROWS, replace=False))


def round_fits(baseline_seconds: float, columns: int) -> bool:
    """Whether one shuffle round (a prediction per column, each about as long as the baseline's, which also
    loaded the models) fits in what is left of a fit's time budget; always true outside a budgeted fit.

    The loop's limit only stops it between rounds: without this check a slow ensemble (a 300-tree forest
    among its members) ran its first round long after the budget had ended.
    """
    from automl.kit import budget

    left = budget.seconds_left()
    return math.isinf(left) or baseline_seconds * columns <= BUDGET_SHARE * left


def time_limit() -> float:
    """Seconds the shuffles may take: TIME_LIMIT_SECONDS, or half of what is left of a fit's time budget
    (SHAP and the report come after them)."""
    from automl.kit import budget

    return min(TIME_LIMIT_SECONDS, BUDGET_SHARE * budget.seconds_left())


def permutation_importance(predict: Any, X: pd.DataFrame, y: np.ndarray, metric: Any,
                           groups: dict[str, list[str]], seed: int = 0) -> tuple[list[Importance], int]:
    """How much the score drops when one column's values are shuffled, averaged over up to REPEATS shuffles.

    Written here rather than with ``sklearn.inspection.permutation_importance``
    because that shuffles one feature at a time, and a column's derived
    features must move together. Shuffles go in rounds over all columns, so
    when the time limit ends the loop every column has the same number of
    shuffles; returns the importances, best first, and that number.

    ``predict(frame, copies)`` predicts ``copies`` stacked copies of the rows at
    once: one call per round instead of one per column, since a pipeline's
    per-call overhead dominated small data (374 calls, 3 s of a 9 s fit).
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    sign = 1.0 if metric.direction == "maximize" else -1.0
    drops: dict[str, list[float]] = {column: [] for column in groups}
    started, rounds = time.perf_counter(), 0
    limit = time_limit()
    with threadpool_limits(1):  # many small predictions: OpenMP start-up would dominate
        baseline_prediction = np.asarray(predict(X, 1))
        baseline = float(metric.fn(y, baseline_prediction))
        if not round_fits(time.perf_counter() - started, len(groups)):
            return [], 0
        per_call = copies_per_call(len(X), int(np.prod(baseline_prediction.shape[1:], dtype=np.int64)))
        columns = list(groups)
        while rounds < REPEATS and (rounds == 0 or time.perf_counter() - started < limit):
            for start in range(0, len(columns), per_call):
                batch = columns[start:start + per_call]
                shuffled = [_shuffled(X, groups[column], rng) for column in batch]
                predicted = np.asarray(predict(pd.concat(shuffled, ignore_index=True), len(batch)))
                for i, column in enumerate(batch):
                    part = predicted[i * len(X):(i + 1) * len(X)]
                    drops[column].append(sign * (baseline - float(metric.fn(y, part))))
            rounds += 1
    results = [Importance(c, float(np.mean(d)), float(np.std(d))) for c, d in drops.items()]
    return sorted(results, key=lambda r: -r.mean), rounds


STACKED_VALUES = 4_000_000  # predicted values per call (rows x classes): 32 MB, however many classes


def copies_per_call(n_rows: int, values_per_row: int) -> int:
    """How many shuffled copies of the rows one prediction call takes: all columns of a round for small
    data, fewer when the predictions would be large (a thousand classes)."""
    return max(1, STACKED_VALUES // max(1, n_rows * max(1, values_per_row)))


def _shuffled(X: pd.DataFrame, features: list[str], rng: np.random.Generator) -> pd.DataFrame:
    """A copy of ``X`` whose ``features`` (one column's, moved together) are shuffled rows of themselves."""
    shuffled = X.copy()
    order = rng.permutation(len(X))
    for feature in features:  # column by column: a categorical keeps its dtype
        shuffled[feature] = X[feature].iloc[order].to_numpy(copy=True)
        if isinstance(X[feature].dtype, pd.CategoricalDtype):
            shuffled[feature] = pd.Categorical(shuffled[feature], dtype=X[feature].dtype)
    return shuffled


def lightgbm_shap(models: list[Any], fold: np.ndarray, X: pd.DataFrame,
                  groups: dict[str, list[str]]) -> list[Importance]:
    """Mean absolute SHAP value per column, from LightGBM's own TreeSHAP (``pred_contrib``).

    Each row is explained by the fold model that did not train on it. LightGBM
    returns one value per row, feature and class: with 1,000 classes and 200
    columns that is 1.6 MB a row, so rows go through in chunks that stay under
    :data:`automl.limits.MEMORY_CAP_BYTES`.
    """
    from automl.kit import limits

    n_features = X.shape[1]
    magnitude = np.zeros((len(X), n_features))
    n_outputs = max(1, int(getattr(models[0], "n_classes", 1) or 1))
    chunk = limits.rows_per_chunk(limits.array_bytes((n_outputs, n_features + 1)))
    for k in np.unique(fold):
        model = models[int(k)]
        in_fold = np.flatnonzero(fold == k)
        for start in range(0, len(in_fold), chunk):
            rows = in_fold[start:start + chunk]
            contributions = model.contributions(X.iloc[rows])
            per_class = contributions.reshape(len(rows), -1, n_features + 1)[:, :, :n_features]  # no bias column
            magnitude[rows] = np.abs(per_class).sum(axis=1)  # summed over the classes of a multiclass model
    position = {name: i for i, name in enumerate(X.columns)}
    results = []
    for column, features in groups.items():
        values = magnitude[:, [position[f] for f in features]].sum(axis=1)
        results.append(Importance(column, float(values.mean()), float(values.std())))
    return sorted(results, key=lambda r: -r.mean)


def shap_source(run: Any, predictor: FoldPredictor) -> tuple[list[Any], str] | None:
    """LightGBM fold models to explain: the final model's heaviest LightGBM member, else the best LightGBM trial.

    TreeSHAP is exact and fast for LightGBM, which is built in; the other tree
    families would need the separate ``shap`` package.
    """
    for models, _, key in sorted(predictor.members, key=lambda m: -m[1]):
        if key == "lightgbm" and hasattr(models[0], "contributions"):
            return models, "the final model's LightGBM member"
    from automl.kit import MODEL_PARAM

    for trial in run.ranked_trials():
        if trial.params.get(MODEL_PARAM) == "lightgbm" and run.has_fold_models(trial.number):
            return run.fold_models(trial.number), f"the best LightGBM trial (#{trial.number})"
    return None
