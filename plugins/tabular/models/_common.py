"""Shared pieces of the tabular models: feature pipelines, the scikit-learn
wrapper and safe saving.

Models are saved with skops, which rebuilds objects without unpickling them.
Loading trusts only types from an allow-list of modules, so a foreign file
cannot make ``automl predict`` run code.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

from automl.errors import UserError
from automl.specs import SearchContext

MODEL_FILE = "model.skops"
_TRUSTED_PREFIXES = ("sklearn.", "numpy.", "scipy.", "automl_plugins.tabular.", "functools.partial")


def is_classification(ctx: SearchContext) -> bool:
    return ctx.kind in ("binary", "multiclass")


def class_weight_choices(ctx: SearchContext) -> list[Any]:
    """Class weights are searched only when the classes are imbalanced."""
    if is_classification(ctx) and ctx.info.get("imbalance", 1.0) >= 1.5:
        return [None, "balanced"]
    return [None]


def _split_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in X.columns if c not in categorical]
    return categorical, numeric


def dense_features(X: pd.DataFrame) -> ColumnTransformer:
    """One-hot categories, imputed and scaled numbers: for linear models and networks."""
    categorical, numeric = _split_columns(X)
    numbers = Pipeline([("impute", SimpleImputer(strategy="median", add_indicator=True)), ("scale", StandardScaler())])
    return ColumnTransformer(
        [
            ("categorical", OneHotEncoder(handle_unknown="ignore", min_frequency=5, sparse_output=False), categorical),
            ("numeric", numbers, numeric),
        ],
        sparse_threshold=0.0,
    )


def tree_features(X: pd.DataFrame) -> ColumnTransformer:
    """Ordinal-coded categories and imputed numbers: compact input for tree ensembles."""
    categorical, numeric = _split_columns(X)
    codes = OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-1)
    return ColumnTransformer(
        [
            ("categorical", codes, categorical),
            ("numeric", SimpleImputer(strategy="median", keep_empty_features=True), numeric),
        ]
    )


class SklearnModel:
    """A scikit-learn estimator behind the automl Estimator protocol.

    ``predict`` returns a probability column for every class of the run, even
    when a fold's training rows lacked one of them.
    """

    def __init__(self, estimator: Any, kind: str, n_classes: int, features: str | None, params: dict[str, Any]) -> None:
        self.estimator = estimator
        self.kind = kind
        self.n_classes = n_classes
        self.features = features
        self.params = params
        self.pipeline: Pipeline | None = None

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> SklearnModel:
        steps = []
        if self.features == "dense":
            steps.append(("features", dense_features(X)))
        elif self.features == "tree":
            steps.append(("features", tree_features(X)))
        steps.append(("model", self.estimator))
        self.pipeline = Pipeline(steps).fit(X, y)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        assert self.pipeline is not None, "fit the model first"
        if self.kind == "regression":
            return self.pipeline.predict(X).astype(float)
        proba = self.pipeline.predict_proba(X)
        full = np.zeros((len(X), self.n_classes))
        full[:, self.pipeline.classes_.astype(int)] = proba
        return full

    def refit_params(self) -> dict[str, Any]:
        return dict(self.params)


def save_skops(model: Any, folder: Path) -> None:
    import skops.io

    skops.io.dump(model, Path(folder) / MODEL_FILE)


def load_skops(folder: Path, trusted_prefixes: tuple[str, ...] = ()) -> Any:
    """Load a skops model, trusting only scikit-learn, NumPy, SciPy and the given module prefixes."""
    import skops.io

    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise UserError(f"model file {path} is missing; the run's best/ folder is incomplete")
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as exc:  # noqa: BLE001 - any parse failure means a corrupt file
        raise UserError(f"model file {path} is corrupt or not a skops file ({exc})") from exc
    allowed = (*_TRUSTED_PREFIXES, *trusted_prefixes)
    foreign = [t for t in untrusted if not t.startswith(allowed)]
    if foreign:
        raise UserError(f"model file {path} contains untrusted types ({', '.join(foreign)}); refusing to load it")
    return skops.io.load(path, trusted=untrusted)


def skops_loader(*trusted_prefixes: str) -> Callable[[Path], Any]:
    """A ``ModelSpec.load`` for a plugin whose saved models include its own classes.

    Pass the plugin's module prefix, e.g. ``skops_loader("automl_knn.")``.
    """

    def load(folder: Path) -> Any:
        return load_skops(folder, trusted_prefixes)

    return load
