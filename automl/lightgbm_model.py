"""LightGBM with early stopping, per-round pruning reports and a clean stop at the deadline.

A generic building block: the tabular task searches it on its features, the
text task on TF-IDF reduced by SVD. Saved as LightGBM's own text model plus a
JSON description: loading it runs no code.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl import limits
from automl.errors import UserError
from automl.specs import SearchContext

log = logging.getLogger(__name__)
MAX_ROUNDS = 10_000
REPORT_EVERY = 10
REFIT_ROUNDS_FACTOR = 1.1
ROWS_PER_THREAD = 10_000
# LightGBM's own metric to stop on, for each run metric; the rest use the objective's loss.
_STOP_METRIC = {"roc_auc": "auc", "rmse": "rmse", "r2": "rmse", "mae": "l1"}
_HIGHER_IS_BETTER = {"auc"}
_JSON_SPECIALS = set('"\\,:[]{}')


def lightgbm_frame(X: Any) -> Any:
    """``X`` with positional column names when a name has a character LightGBM refuses (JSON specials).

    Column names come from the user's file; LightGBM stores them in JSON and
    rejects quotes, colons, commas and brackets. The decision depends only on
    the names, so fit and predict always agree.
    """
    if isinstance(X, pd.DataFrame) and any(_JSON_SPECIALS & set(str(c)) for c in X.columns):
        return X.set_axis([f"column_{i}" for i in range(X.shape[1])], axis=1)
    return X


class LightGBMModel:
    """LightGBM behind the Estimator protocol, for any table of numbers and categories: validation rows turn
    on early stopping and pruning reports; without them (a refit) it trains ``n_estimators`` rounds."""

    # LightGBM's native many-vs-many categorical splits overfit moderate-sized data;
    # one-vs-rest splits (as with one-hot columns) are often better, so a search may choose.
    CATEGORICAL_SPLITS = {"native": 4, "one_vs_rest": 256}

    def __init__(self, params: dict[str, Any], ctx: SearchContext | None) -> None:
        self.params = dict(params)
        self.ctx = ctx
        self.kind = ctx.kind if ctx else "regression"
        self.n_classes = len(ctx.classes or []) if ctx else 0
        self.booster: Any = None
        self.best_iteration = 0

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "ctx": None}  # the context holds the live trial

    def _lgb_params(self, n_rows: int) -> dict[str, Any]:
        p = self.params
        objective = {"binary": "binary", "multiclass": "multiclass"}.get(self.kind, "regression")
        ctx = self.ctx
        out = {
            "objective": objective,
            "metric": self._stop_metric(),
            "learning_rate": p["learning_rate"],
            "num_leaves": p["num_leaves"],
            "min_child_samples": p["min_child_samples"],
            "feature_fraction": p["feature_fraction"],
            "bagging_fraction": p["bagging_fraction"],
            "bagging_freq": 1 if p["bagging_fraction"] < 1.0 else 0,
            "lambda_l1": p["lambda_l1"],
            "lambda_l2": p["lambda_l2"],
            "extra_trees": p["extra_trees"],
            "num_threads": _threads(ctx.n_threads if ctx else 1, n_rows),
            "seed": ctx.seed if ctx else 0,
            "verbosity": -1,
            "max_cat_to_onehot": self.CATEGORICAL_SPLITS[p.get("categorical_split", "native")],
        }
        if objective == "multiclass":
            out["num_class"] = self.n_classes
        return out

    def _stop_metric(self) -> str:
        default_loss = {"binary": "binary_logloss", "multiclass": "multi_logloss"}.get(self.kind, "rmse")
        if self.kind == "multiclass" or self.ctx is None:
            return default_loss
        return _STOP_METRIC.get(self.ctx.metric.name, default_loss)

    def _weights(self, y: np.ndarray) -> np.ndarray | None:
        if self.params.get("class_weight") != "balanced":
            return None
        counts = np.bincount(y.astype(int), minlength=self.n_classes).astype(float)
        return (len(y) / (len(counts) * np.maximum(counts, 1)))[y.astype(int)]

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> LightGBMModel:
        import lightgbm as lgb

        params = self._lgb_params(len(X))
        X = lightgbm_frame(X)
        X_valid = None if X_valid is None else lightgbm_frame(X_valid)
        train = lgb.Dataset(X, y, weight=self._weights(y), free_raw_data=True)
        if X_valid is None:
            rounds = int(self.params.get("n_estimators", 100))
            callbacks = [self._stop_at_deadline()] if self.ctx is not None else []
            self.booster = lgb.train(params, train, num_boost_round=rounds, callbacks=callbacks)
            self.best_iteration = max(1, int(self.booster.current_iteration()))
            if self.best_iteration < rounds:
                log.warning("the refit stopped at the time budget after %d of %d boosting rounds",
                            self.best_iteration, rounds)
        else:
            valid = lgb.Dataset(X_valid, y_valid, reference=train)
            patience = int(np.clip(5.0 / params["learning_rate"], 30, 200))
            callbacks = [
                lgb.early_stopping(patience, first_metric_only=True, verbose=False),
                self._watch(params["metric"]),
            ]
            rounds = limits.boosting_rounds(MAX_ROUNDS, self.n_classes if self.kind == "multiclass" else 1)
            self.booster = lgb.train(
                params, train, num_boost_round=rounds, valid_sets=[valid], valid_names=["valid"],
                callbacks=callbacks,
            )
            self.best_iteration = max(1, int(self.booster.best_iteration or self.booster.current_iteration()))
        self.ctx = None
        return self

    def _stop_at_deadline(self):  # noqa: ANN202
        """A refit has no validation rows, so nothing else looks at the clock: stop at the deadline."""
        import lightgbm as lgb

        ctx = self.ctx
        assert ctx is not None

        def callback(env: Any) -> None:
            if ctx.out_of_time():
                raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list or [])

        callback.order = 40
        return callback

    def _watch(self, stop_metric: str):  # noqa: ANN202
        """Report every few rounds for pruning, and stop cleanly when time is up."""
        import lightgbm as lgb

        ctx = self.ctx
        assert ctx is not None
        higher_better = stop_metric in _HIGHER_IS_BETTER
        sign = 1.0 if higher_better == (ctx.metric.direction == "maximize") else -1.0

        def callback(env: Any) -> None:
            round_number = env.iteration + 1
            if ctx.out_of_time():
                raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)
            if round_number % REPORT_EVERY == 0 and env.evaluation_result_list:
                ctx.report(round_number, sign * float(env.evaluation_result_list[0][2]))

        callback.order = 40  # after early stopping (order 30)
        return callback

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        raw = self.booster.predict(lightgbm_frame(X), num_iteration=self.best_iteration)
        if self.kind == "binary":
            return np.column_stack([1.0 - raw, raw])
        return np.asarray(raw, dtype=float)

    def contributions(self, X: pd.DataFrame) -> np.ndarray:
        """TreeSHAP values per row and feature (plus a bias column; per class for multiclass)."""
        return np.asarray(self.booster.predict(lightgbm_frame(X), pred_contrib=True,
                                               num_iteration=self.best_iteration))

    def refit_params(self) -> dict[str, Any]:
        return {**self.params, "n_estimators": max(1, int(round(self.best_iteration * REFIT_ROUNDS_FACTOR)))}


def _threads(available: int, n_rows: int) -> int:
    """One thread per ROWS_PER_THREAD rows: on small data, OpenMP threads spin-waiting for each
    other cost far more than they save (a 2-thread fit on 500 rows of a busy machine ran 100x slower)."""
    return max(1, min(available, n_rows // ROWS_PER_THREAD))


def save_lightgbm(model: LightGBMModel, folder: Path) -> None:
    """LightGBM's own text model and a JSON description: loading them runs no code."""
    model.booster.save_model(str(Path(folder) / "model.txt"), num_iteration=model.best_iteration)
    meta = {"kind": model.kind, "n_classes": model.n_classes, "params": model.params,
            "best_iteration": model.best_iteration}
    (Path(folder) / "lightgbm.json").write_text(json.dumps(meta, indent=2))


def load_lightgbm(folder: Path) -> LightGBMModel:
    import lightgbm as lgb

    meta = json.loads((Path(folder) / "lightgbm.json").read_text())
    model = LightGBMModel(meta["params"], None)
    model.kind, model.n_classes, model.best_iteration = meta["kind"], meta["n_classes"], meta["best_iteration"]
    model.booster = lgb.Booster(model_str=_model_text(Path(folder) / "model.txt"))
    return model


def _model_text(path: Path) -> str:
    """The text of a LightGBM model file, refused unless it is whole UTF-8 with LightGBM's closing sections.

    LightGBM's own parser accepts a file cut short (it loads the trees it finds,
    or crashes), and its log callback fails on bytes that are not UTF-8; a file
    that LightGBM wrote always ends its trees and its parameters.
    """
    try:
        text = path.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"model file {path} is unreadable or not LightGBM's text; refusing to load it") from exc
    trees = text.find("\nend of trees\n")
    if trees < 0 or text.find("\nend of parameters\n", trees) < 0:
        raise UserError(f"model file {path} is cut short or is not a LightGBM model; refusing to load it")
    return text
