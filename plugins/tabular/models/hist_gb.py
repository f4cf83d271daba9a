"""scikit-learn's histogram gradient boosting, with native categorical support."""

from __future__ import annotations

from typing import Any

from automl.kit import SKOPS_PRELOAD, ModelSpec, SearchContext, SklearnModel, limits, save_skops
from automl_plugins.tabular.models._common import class_weight_choices, is_classification, load_skops

MAX_ITER = 1000


class HistGBModel(SklearnModel):
    """Early stopping picks the number of iterations; the refit reuses it.

    Training is held to the run's thread share: scikit-learn's OpenMP would
    otherwise use every core, and ``--workers`` processes would fight over them.
    """

    n_threads: int = 1

    def fit(self, X: Any, y: Any, X_valid: Any = None, y_valid: Any = None) -> HistGBModel:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=self.n_threads, user_api="openmp"):
            super().fit(X, y, X_valid, y_valid)
        return self

    def refit_params(self) -> dict[str, Any]:
        assert self.pipeline is not None
        return {**self.params, "max_iter": int(self.pipeline[-1].n_iter_), "early_stopping": False}


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    params: dict[str, Any] = {
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "max_leaf_nodes": trial.suggest_int("max_leaf_nodes", 8, 128, log=True),
        "min_samples_leaf": trial.suggest_int("min_samples_leaf", 5, 100, log=True),
        "l2_regularization": trial.suggest_float("l2_regularization", 1e-6, 10.0, log=True),
    }
    if is_classification(ctx):
        params["class_weight"] = trial.suggest_categorical("class_weight", class_weight_choices(ctx))
    return params


def _trees_per_round(ctx: SearchContext) -> int:
    n_classes = len(ctx.classes or [])
    return n_classes if ctx.kind == "multiclass" and n_classes > 2 else 1


def build(params: dict[str, Any], ctx: SearchContext) -> HistGBModel:
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor

    options = dict(
        learning_rate=params["learning_rate"],
        max_leaf_nodes=params["max_leaf_nodes"],
        min_samples_leaf=params["min_samples_leaf"],
        l2_regularization=params["l2_regularization"],
        # one tree per class per round, and no stop at the deadline inside scikit-learn: rounds are capped
        max_iter=limits.boosting_rounds(params.get("max_iter", MAX_ITER), _trees_per_round(ctx)),
        early_stopping=params.get("early_stopping", True),
        n_iter_no_change=20,
        categorical_features="from_dtype",
        random_state=ctx.seed,
    )
    if is_classification(ctx):
        model = HistGradientBoostingClassifier(class_weight=params.get("class_weight"), **options)
    else:
        model = HistGradientBoostingRegressor(**options)
    wrapped = HistGBModel(model, ctx.kind, len(ctx.classes or []), None, params)
    wrapped.n_threads = ctx.n_threads
    return wrapped


HIST_GB = ModelSpec(
    key="hist_gb",
    task="tabular",
    search_space=search_space,
    build=build,
    save=save_skops, preload=SKOPS_PRELOAD,
    load=load_skops,
    defaults={"learning_rate": 0.1, "max_leaf_nodes": 31, "min_samples_leaf": 20, "l2_regularization": 1e-6,
              "class_weight": None},
    description="histogram gradient boosting (scikit-learn)",
    cost_params=("1/learning_rate",),  # early stopping decides the iterations, and they grow as the rate falls
)
