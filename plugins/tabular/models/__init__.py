"""The tabular models, and the public helpers for plugins that add scikit-learn models to the task.

Third-party model plugins import ``SklearnModel``, the feature pipelines and
the skops save/load functions from here rather than from the private module.
"""

from automl_plugins.tabular.models._common import (
    SklearnModel,
    dense_features,
    is_classification,
    load_skops,
    save_skops,
    skops_loader,
    tree_features,
)

__all__ = [
    "SklearnModel",
    "dense_features",
    "is_classification",
    "load_skops",
    "save_skops",
    "skops_loader",
    "tree_features",
]
