"""The tabular models, and the public helpers for plugins that add scikit-learn models to the task.

The scikit-learn wrapper, its feature pipelines and skops saving are the
core's; ``automl.kit`` is their declared home (``from automl.kit import
SklearnModel, save_skops, skops_loader``). They stay importable from here for
plugins written before they moved. :func:`load_skops` is the tabular task's
loader: it trusts the tabular wrapper subclasses too.
"""

from automl.kit import SklearnModel, dense_features, save_skops, skops_loader, tree_features
from automl_plugins.tabular.models._common import is_classification, load_skops

__all__ = [
    "SklearnModel",
    "dense_features",
    "is_classification",
    "load_skops",
    "save_skops",
    "skops_loader",
    "tree_features",
]
