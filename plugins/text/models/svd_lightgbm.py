"""TF-IDF reduced by truncated SVD (latent semantic analysis), then LightGBM.

The feature pipeline is saved with skops and the booster as LightGBM's own
text model (the core's LightGBM model, as the tabular task's): loading runs no code.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import (
    SKOPS_PRELOAD,
    LightGBMModel,
    ModelSpec,
    SearchContext,
    load_lightgbm,
    save_lightgbm,
    save_skops,
    skops_loader,
)
from automl_plugins.text.models.features import class_weight_choices, feature_space, tfidf_features

if TYPE_CHECKING:
    from sklearn.pipeline import Pipeline

load_skops = skops_loader("automl_plugins.text.models.features.CompactTfidfVectorizer")  # our TF-IDF subclass
_FIXED = {"bagging_fraction": 1.0, "lambda_l1": 1e-8, "extra_trees": False, "categorical_split": "native"}


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        **feature_space(trial, ctx),
        "n_components": trial.suggest_int("n_components", 50, 300, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.02, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 64, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 5, 50, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.3, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-8, 10.0, log=True),
        "class_weight": trial.suggest_categorical("class_weight", class_weight_choices(ctx)),
    }


class SvdLightGBM:
    def __init__(self, params: dict[str, Any], ctx: SearchContext | None) -> None:
        self.params = dict(params)
        self.features: Pipeline | None = None
        self.booster = LightGBMModel({**_FIXED, **self.params}, ctx)

    def _fit_features(self, X: Any) -> np.ndarray:
        tfidf = tfidf_features(self.params)
        matrix = tfidf.fit_transform(X)
        components = max(1, min(int(self.params["n_components"]), matrix.shape[1] - 1, len(X) - 1))
        from sklearn.decomposition import TruncatedSVD
        from sklearn.pipeline import Pipeline

        svd = TruncatedSVD(components, random_state=0)
        reduced = svd.fit_transform(matrix)
        self.features = Pipeline([("tfidf", tfidf), ("svd", svd)])
        return reduced

    def fit(self, X: Any, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> SvdLightGBM:
        reduced = self._fit_features(X)
        valid = None if X_valid is None else self.features.transform(X_valid)
        self.booster.fit(reduced, y, valid, y_valid)
        return self

    def predict(self, X: Any) -> np.ndarray:
        assert self.features is not None, "fit the model first"
        return self.booster.predict(self.features.transform(X))

    def refit_params(self) -> dict[str, Any]:
        rounds = self.booster.refit_params()["n_estimators"]
        return {**self.params, "n_estimators": rounds}


def build(params: dict[str, Any], ctx: SearchContext) -> SvdLightGBM:
    return SvdLightGBM(params, ctx)


def save(model: SvdLightGBM, folder: Path) -> None:
    save_skops(model.features, folder)
    save_lightgbm(model.booster, folder)


def load(folder: Path) -> SvdLightGBM:
    booster = load_lightgbm(folder)
    model = SvdLightGBM(booster.params, None)
    model.booster = booster
    model.features = load_skops(folder)
    return model


SVD_LIGHTGBM = ModelSpec(
    key="svd_lightgbm", task="text", search_space=search_space, build=build, save=save, load=load,
    preload=SKOPS_PRELOAD,
    defaults={"word_ngrams": 2, "char_ngrams": "none", "char_analyzer": "char_wb", "min_df": 2, "sublinear_tf": True,
              "max_features": 100_000, "n_components": 200, "learning_rate": 0.1, "num_leaves": 31,
              "min_child_samples": 20, "feature_fraction": 1.0, "lambda_l2": 1e-8, "class_weight": None},
    cheap=False,
    description="TF-IDF, truncated SVD (LSA), then LightGBM with early stopping",
)
