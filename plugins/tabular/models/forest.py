"""Random forest and extra trees on ordinal-coded features."""

from __future__ import annotations

import time
import warnings
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import SKOPS_PRELOAD, ModelSpec, SearchContext, SklearnModel, limits, save_skops, tree_features
from automl_plugins.tabular.models._common import class_weight_choices, is_classification, load_skops

if TYPE_CHECKING:  # pandas and scikit-learn load when a forest is built, not when the plugin registers
    import pandas as pd

TREES_PER_STEP = 50
# One forest's node tables; the search holds one forest per fold (five) and the refit one more.
MODEL_BYTES = limits.MEMORY_CAP_BYTES // 4
NODE_BYTES = 64  # a node's split record, besides its row of class probabilities


class ForestModel(SklearnModel):
    """Grows the forest in steps of 50 trees, so a trial stops cleanly at its deadline or its memory cap.

    A classification tree keeps a probability for every class in every node: with
    1,000 classes, 300 deep trees on 2,000 rows took 1.7 GB per fold. The forest
    stops growing before its node tables would pass ``MODEL_BYTES``, and leaves
    are made larger up front when the first fifty trees might not fit.
    """

    def __init__(self, *args: Any, deadline: float | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline = deadline

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> ForestModel:
        features = tree_features(X)
        encoded = features.fit_transform(X)
        target = int(self.estimator.n_estimators)
        self._fit_leaf_size(len(encoded))
        grown, step = 0, TREES_PER_STEP
        self.estimator.set_params(warm_start=True)
        with warnings.catch_warnings():
            # "balanced" weights with warm_start warn in case the data changes between steps; it does not.
            warnings.filterwarnings("ignore", message="class_weight presets", category=UserWarning)
            while grown < target:
                grown = min(target, grown + step)
                self.estimator.set_params(n_estimators=grown)
                self.estimator.fit(encoded, y)
                if self.deadline is not None and time.time() > self.deadline:
                    break
                per_tree = self._bytes() / grown
                step = min(TREES_PER_STEP, int((MODEL_BYTES - per_tree * grown) // max(per_tree, 1)))
                if step < 1:
                    break
        grown = self._trim_to_cap()
        self.estimator.set_params(warm_start=False)
        self.params = {**self.params, "n_estimators": grown,
                       "min_samples_leaf": int(self.estimator.min_samples_leaf)}
        from sklearn.pipeline import Pipeline

        self.pipeline = Pipeline([("features", features), ("model", self.estimator)])
        return self

    def _node_bytes(self) -> int:
        return NODE_BYTES + 8 * max(1, self.n_classes)

    def _fit_leaf_size(self, n_rows: int) -> None:
        """Larger leaves when the first TREES_PER_STEP trees of the asked leaf size could exceed the cap
        (a tree has at most 2 * rows / min_samples_leaf nodes): fifty trees with larger leaves predict
        better than a handful of deep ones."""
        needed = int(np.ceil(2 * n_rows * self._node_bytes() * TREES_PER_STEP / MODEL_BYTES))
        if needed > int(self.estimator.min_samples_leaf):
            self.estimator.set_params(min_samples_leaf=needed)

    def _trim_to_cap(self) -> int:
        """Drop the last trees while the forest is over the cap (a step is sized by the trees before it,
        and a new tree may be larger); returns the number of trees kept."""
        trees = self.estimator.estimators_
        while len(trees) > 1 and self._bytes() > MODEL_BYTES:
            trees.pop()
        self.estimator.set_params(n_estimators=len(trees))
        return len(trees)

    def _bytes(self) -> int:
        return sum(tree.tree_.value.nbytes + NODE_BYTES * tree.tree_.node_count for tree in self.estimator.estimators_)


_FAMILIES = {  # the scikit-learn classes of sklearn.ensemble, by name: imported when a forest is built
    "random_forest": ("RandomForestClassifier", "RandomForestRegressor"),
    "extra_trees": ("ExtraTreesClassifier", "ExtraTreesRegressor"),
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
        from sklearn import ensemble

        classifier, regressor = (getattr(ensemble, name) for name in _FAMILIES[family])
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

def _spec(key: str, defaults: dict[str, Any], description: str) -> ModelSpec:
    return ModelSpec(key=key, task="tabular", search_space=search_space, build=_builder(key), save=save_skops,
                     load=load_skops, defaults=defaults, description=description, cost_params=("n_estimators",),
                     preload=SKOPS_PRELOAD)


RANDOM_FOREST = _spec("random_forest", _DEFAULTS, "random forest (bagged deep trees)")
EXTRA_TREES = _spec("extra_trees", {**_DEFAULTS, "max_features": "0.5"}, "extremely randomised trees")
