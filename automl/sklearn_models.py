"""A scikit-learn estimator behind the automl Estimator protocol, and the feature pipelines it can put in front.

Every task that trains scikit-learn models on a table or on texts (the
tabular task's linear, forest and network models, the text task's linear
models, third-party plugins such as examples/automl-knn) wraps them the same
way, so the wrapper is the core's. It is saved with skops
(:mod:`automl.skops_files`), which names it by this module: the name is on
the trusted type list.

scikit-learn and pandas are imported when a model is built or fitted:
registering a plugin (``automl plugins``, ``automl predict``) must not pay for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import Pipeline


def _split_columns(X: pd.DataFrame) -> tuple[list[str], list[str]]:
    import pandas as pd

    categorical = [c for c in X.columns if isinstance(X[c].dtype, pd.CategoricalDtype)]
    numeric = [c for c in X.columns if c not in categorical]
    return categorical, numeric


def dense_features(X: pd.DataFrame) -> ColumnTransformer:
    """One-hot categories, imputed and scaled numbers: for linear models and networks."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

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
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OrdinalEncoder

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
        from sklearn.pipeline import Pipeline

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
