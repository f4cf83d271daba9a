"""A multi-layer perceptron (dense network) on one-hot and scaled features.

Trained epoch by epoch with ``partial_fit`` so that each epoch's validation
score is reported for pruning, the best epoch's weights are kept (early
stopping), and training stops cleanly at the trial's deadline.
"""

from __future__ import annotations

import copy
import time
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import SKOPS_PRELOAD, ModelSpec, SearchContext, SklearnModel, dense_features, save_skops
from automl_plugins.tabular.models._common import is_classification, load_skops

if TYPE_CHECKING:  # pandas and scikit-learn load when a network is built, not when the plugin registers
    import pandas as pd

_LAYOUTS = {"64": (64,), "128": (128,), "128-64": (128, 64), "256-128": (256, 128)}
MAX_EPOCHS = 200
PATIENCE = 8


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "layers": trial.suggest_categorical("layers", list(_LAYOUTS)),
        "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 1e-2, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [64, 128, 256]),
    }


class MLPModel(SklearnModel):
    def __init__(self, *args: Any, ctx: SearchContext | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx = ctx
        self.epochs = int(self.params.get("epochs", MAX_EPOCHS))

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "ctx": None}  # the context holds the live trial

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> MLPModel:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.pipeline import Pipeline

        features = dense_features(X)
        encoded = features.fit_transform(X)
        encoded_valid = features.transform(X_valid) if X_valid is not None else None
        classes = np.arange(self.n_classes) if self.kind != "regression" else None
        best_score, best_epoch, best_state, stale = None, 0, None, 0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            for epoch in range(1, self.epochs + 1):
                if classes is not None:
                    self.estimator.partial_fit(encoded, y, classes=classes)
                else:
                    self.estimator.partial_fit(encoded, y)
                if encoded_valid is None or self.ctx is None:
                    continue
                score = float(self.ctx.metric.fn(y_valid, self._raw(encoded_valid)))
                self.ctx.report(epoch, score)
                if best_score is None or self.ctx.metric.better(score, best_score):
                    best_score, best_epoch, stale = score, epoch, 0
                    best_state = copy.deepcopy((self.estimator.coefs_, self.estimator.intercepts_))
                else:
                    stale += 1
                if stale >= PATIENCE or (self.ctx.deadline is not None and time.time() > self.ctx.deadline):
                    break
        if best_state is not None:
            self.estimator.coefs_, self.estimator.intercepts_ = best_state
            self.epochs = best_epoch
        self.pipeline = Pipeline([("features", features), ("model", self.estimator)])
        self.ctx = None
        return self

    def _raw(self, encoded: np.ndarray) -> np.ndarray:
        if self.kind == "regression":
            return self.estimator.predict(encoded).astype(float)
        return self.estimator.predict_proba(encoded)  # partial_fit saw every class, so columns match

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        assert self.pipeline is not None, "fit the model first"
        return self._raw(self.pipeline[0].transform(X))

    def refit_params(self) -> dict[str, Any]:
        return {**self.params, "epochs": self.epochs}


def build(params: dict[str, Any], ctx: SearchContext) -> MLPModel:
    options = dict(
        hidden_layer_sizes=_LAYOUTS[params["layers"]],
        alpha=params["alpha"],
        learning_rate_init=params["learning_rate_init"],
        batch_size=params["batch_size"],
        random_state=ctx.seed,
    )
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    model = MLPClassifier(**options) if is_classification(ctx) else MLPRegressor(**options)
    return MLPModel(model, ctx.kind, len(ctx.classes or []), "dense", params, ctx=ctx)


MLP = ModelSpec(
    key="mlp",
    task="tabular",
    search_space=search_space,
    build=build,
    save=save_skops, preload=SKOPS_PRELOAD,
    load=load_skops,
    defaults={"layers": "128-64", "alpha": 1e-4, "learning_rate_init": 1e-3, "batch_size": 128},
    cheap=False,
    description="multi-layer perceptron (dense neural network), pruned epoch by epoch",
)
