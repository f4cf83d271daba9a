"""Random forest and extra trees on ordinal-coded features."""

from __future__ import annotations

import time
import warnings
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.pipeline import Pipeline

from automl import ModelSpec, SearchContext
from automl_plugins.tabular.models._common import (
    SklearnModel,
    class_weight_choices,
    is_classification,
    load_skops,
    save_skops,
    tree_features,
)

TREES_PER_STEP = 50


class ForestModel(SklearnModel):
    """Grows the forest in steps of 50 trees, so a trial stops cleanly at its deadline."""

    def __init__(self, *args: Any, deadline: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> ForestModel:
        features = tree_features(X)
        encoded = features.fit_transform(X)
        target = int(self.estimator.n_estimators)
        grown = 0
        self.estimator.set_params(warm_start=True)
        with warnings.catch_warnings():
            # "balanced" weights with warm_start warn in case the data changes between steps; it does not.
            warnings.filterwarnings("ignore", message="class_weight presets", category=UserWarning)
            while grown < target:
                grown = min(target, grown + TREES_PER_STEP)
                self.estimator.set_params(n_estimators=grown)
                self.estimator.fit(encoded, y)
                if self.deadline is not None and time.time() > self.deadline:
                    break
        self.estimator.set_params(warm_start=False)
        self.params = {**self.params, "n_estimators": grown}
        self.pipeline = Pipeline([("features", features), ("model", self.estimator)])
        return self


_FAMILIES = {
    "random_forest": (RandomForestClassifier, RandomForestRegressor),
    "extra_trees": (ExtraTreesClassifier, ExtraTreesRegressor),
}


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    params: dict[str, Any] = {
        "n_estimators": trial.suggest_int("n_estimators", 100, 500, step=50),
        "max_features": trial.suggest_categorical("max_features", ["sqrt", "0.5", "1.0"]),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 1, 32, log=True),
    }
    if is_classification(ctx):
        params["class_weight"] = trial.suggest_categorical("class_weight", class_weight_choices(ctx))
    return params


def _builder(family: str):  # noqa: ANN202
    def build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
        classifier, regressor = _FAMILIES[family]
        max_features = params["max_features"]
        options: dict[str, Any] = dict(
            n_estimators=params["n_estimators"],
            max_features=max_features if max_features == "sqrt" else float(max_features),
            min_samples_leaf=params["min_samples_leaf"],
            n_jobs=ctx.n_threads,
            random_state=ctx.seed,
        )
        if is_classification(ctx):
            model = classifier(class_weight=params.get("class_weight"), **options)
        else:
            model = regressor(**options)
        return ForestModel(model, ctx.kind, len(ctx.classes or []), "tree", params, deadline=ctx.deadline)

    return build


_DEFAULTS = {"n_estimators": 300, "max_features": "sqrt", "min_samples_leaf": 2, "class_weight": None}

RANDOM_FOREST = ModelSpec(
    key="random_forest",
    task="tabular",
    search_space=search_space,
    build=_builder("random_forest"),
    save=save_skops,
    load=load_skops,
    defaults=_DEFAULTS,
    description="random forest (bagged deep trees)",
)

EXTRA_TREES = ModelSpec(
    key="extra_trees",
    task="tabular",
    search_space=search_space,
    build=_builder("extra_trees"),
    save=save_skops,
    load=load_skops,
    defaults={**_DEFAULTS, "max_features": "0.5"},
    description="extremely randomised trees",
)
