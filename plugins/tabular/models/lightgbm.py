"""The tabular task's LightGBM: its search space, defaults and portfolio.

The estimator (early stopping, pruning reports, the deadline, safe saving) is
the core's :class:`automl.kit.LightGBMModel`, shared with the text task.
"""

from __future__ import annotations

from typing import Any

from automl.kit import LightGBMModel, ModelSpec, SearchContext, load_lightgbm, save_lightgbm
from automl_plugins.tabular.models._common import class_weight_choices


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    bagging = trial.suggest_float("bagging_fraction", 0.5, 1.0)
    return {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 256, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 2, 100, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
        "bagging_fraction": bagging,
        "lambda_l1": trial.suggest_float("lambda_l1", 1e-8, 10.0, log=True),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True),
        "extra_trees": trial.suggest_categorical("extra_trees", [False, True]),
        "categorical_split": trial.suggest_categorical("categorical_split", list(LightGBMModel.CATEGORICAL_SPLITS)),
        "class_weight": trial.suggest_categorical("class_weight", class_weight_choices(ctx)),
    }


def build(params: dict[str, Any], ctx: SearchContext) -> LightGBMModel:
    return LightGBMModel(params, ctx)


_DEFAULTS = {
    "learning_rate": 0.1, "num_leaves": 31, "min_child_samples": 20, "feature_fraction": 1.0,
    "bagging_fraction": 1.0, "lambda_l1": 1e-8, "lambda_l2": 1e-8, "extra_trees": False,
    "categorical_split": "native", "class_weight": None,
}

LIGHTGBM = ModelSpec(
    key="lightgbm",
    task="tabular",
    search_space=search_space,
    build=build,
    save=save_lightgbm,
    load=load_lightgbm,
    defaults=_DEFAULTS,
    # Diverse strong starting points in the spirit of FLAML's and AutoGluon's portfolios: slower
    # learning with column subsampling, one-vs-rest categorical splits, shallow heavily regularised
    # trees, and a larger bagged model. Each is cheap enough to finish early in a short budget.
    portfolio=(
        {**_DEFAULTS, "learning_rate": 0.03, "feature_fraction": 0.7, "categorical_split": "one_vs_rest"},
        {**_DEFAULTS, "learning_rate": 0.03, "num_leaves": 24, "feature_fraction": 0.6,
         "bagging_fraction": 0.8, "lambda_l2": 1.0},
        {**_DEFAULTS, "learning_rate": 0.05, "num_leaves": 8, "min_child_samples": 50,
         "feature_fraction": 0.5, "lambda_l2": 1.0, "categorical_split": "one_vs_rest"},
        {**_DEFAULTS, "learning_rate": 0.02, "num_leaves": 64, "min_child_samples": 10,
         "feature_fraction": 0.8, "bagging_fraction": 0.8, "lambda_l2": 1.0, "categorical_split": "one_vs_rest"},
    ),
    description="LightGBM gradient-boosted trees with early stopping",
    cost_params=("1/learning_rate",),  # early stopping decides the rounds, and they grow as the rate falls
)
