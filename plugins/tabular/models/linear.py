"""Logistic and ridge regression on one-hot, imputed and scaled features."""

from __future__ import annotations

from typing import Any

from automl.kit import SKOPS_PRELOAD, ModelSpec, SearchContext, SklearnModel, save_skops
from automl_plugins.tabular.models._common import class_weight_choices, is_classification, load_skops


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    params: dict[str, Any] = {"C": trial.suggest_float("C", 1e-3, 1e2, log=True)}
    if is_classification(ctx):
        params["class_weight"] = trial.suggest_categorical("class_weight", class_weight_choices(ctx))
    return params


def build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    from sklearn.linear_model import LogisticRegression, Ridge

    if is_classification(ctx):
        model = LogisticRegression(C=params["C"], class_weight=params.get("class_weight"), max_iter=2000)
    else:
        model = Ridge(alpha=1.0 / params["C"], random_state=ctx.seed)
    return SklearnModel(model, ctx.kind, len(ctx.classes or []), "dense", params)


LINEAR = ModelSpec(
    key="linear",
    task="tabular",
    search_space=search_space,
    build=build,
    save=save_skops, preload=SKOPS_PRELOAD,
    load=load_skops,
    defaults={"C": 1.0, "class_weight": None},
    description="logistic regression (classes) or ridge regression (values)",
)
