"""A multi-layer perceptron (dense network) on one-hot and scaled features."""

from __future__ import annotations

from typing import Any

from sklearn.neural_network import MLPClassifier, MLPRegressor

from automl import ModelSpec, SearchContext
from automl_plugins.tabular.models._common import SklearnModel, is_classification, load_skops, save_skops

_LAYOUTS = {"64": (64,), "128": (128,), "128-64": (128, 64), "256-128": (256, 128)}


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "layers": trial.suggest_categorical("layers", list(_LAYOUTS)),
        "alpha": trial.suggest_float("alpha", 1e-6, 1e-1, log=True),
        "learning_rate_init": trial.suggest_float("learning_rate_init", 1e-4, 1e-2, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [64, 128, 256]),
    }


def build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    options = dict(
        hidden_layer_sizes=_LAYOUTS[params["layers"]],
        alpha=params["alpha"],
        learning_rate_init=params["learning_rate_init"],
        batch_size=params["batch_size"],
        early_stopping=True,
        n_iter_no_change=8,
        max_iter=200,
        random_state=ctx.seed,
    )
    model = MLPClassifier(**options) if is_classification(ctx) else MLPRegressor(**options)
    return SklearnModel(model, ctx.kind, len(ctx.classes or []), "dense", params)


MLP = ModelSpec(
    key="mlp",
    task="tabular",
    search_space=search_space,
    build=build,
    save=save_skops,
    load=load_skops,
    defaults={"layers": "128-64", "alpha": 1e-4, "learning_rate_init": 1e-3, "batch_size": 128},
    cheap=False,
    description="multi-layer perceptron (dense neural network)",
)
