"""k-nearest neighbours on one-hot categories and imputed, scaled numbers.

Distances only mean something when every feature is on the same scale, so the
model reuses automl's dense feature pipeline (one-hot encoding, median
imputation, standard scaling) through the kit's ``SklearnModel`` wrapper. The
fitted pipeline is saved with skops, which loads it without running code.
"""

from __future__ import annotations

from typing import Any

from automl.kit import SKOPS_PRELOAD, ModelSpec, SearchContext, SklearnModel, save_skops, skops_loader
from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

MAX_NEIGHBORS = 100

# The fitted neighbour search holds types beyond the ones automl trusts for its own models: each is named exactly
# (as skops.io.get_untrusted_types reports it), never by a module prefix, so a model file naming anything else is
# refused before it is loaded.
load_skops = skops_loader(
    "sklearn.neighbors._kd_tree.KDTree",  # the index scikit-learn builds for few features
    "sklearn.neighbors._ball_tree.BallTree",  # ... and for more features
    "sklearn.metrics._dist_metrics.EuclideanDistance64",  # p=2
    "sklearn.metrics._dist_metrics.ManhattanDistance64",  # p=1
)


def _neighbor_limit(ctx: SearchContext) -> int:
    """No more neighbours than half the rows: every validation fold's training part has that many."""
    n_rows = int(ctx.info.get("n_rows", 2 * MAX_NEIGHBORS))
    return max(1, min(MAX_NEIGHBORS, n_rows // 2))


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "n_neighbors": trial.suggest_int("n_neighbors", 1, _neighbor_limit(ctx), log=True),
        "weights": trial.suggest_categorical("weights", ["uniform", "distance"]),
        "p": trial.suggest_int("p", 1, 2),  # 1: Manhattan distance, 2: Euclidean
    }


def build(params: dict[str, Any], ctx: SearchContext) -> SklearnModel:
    settings = {
        "n_neighbors": min(int(params["n_neighbors"]), _neighbor_limit(ctx)),
        "weights": params["weights"],
        "p": int(params["p"]),
        "n_jobs": ctx.n_threads,
    }
    if ctx.kind == "regression":
        estimator: Any = KNeighborsRegressor(**settings)
    else:
        estimator = KNeighborsClassifier(**settings)
    return SklearnModel(estimator, ctx.kind, len(ctx.classes or []), "dense", params)


KNN = ModelSpec(
    key="knn",
    task="tabular",
    search_space=search_space,
    build=build,
    save=save_skops, preload=SKOPS_PRELOAD,
    load=load_skops,
    defaults={"n_neighbors": 15, "weights": "distance", "p": 2},
    description="k-nearest neighbours on one-hot, imputed and scaled features",
)
