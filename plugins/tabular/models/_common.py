"""Shared pieces of the tabular models: the class-weight search and the skops types of the tabular wrappers.

The scikit-learn wrapper, its feature pipelines and skops saving are the
core's (``automl.kit``: :class:`SklearnModel`, :func:`save_skops`,
:func:`skops_loader`), shared with the text task. The tabular models subclass
the wrapper (forests, hist_gb, mlp), so :func:`load_skops` trusts those
subclasses too, by exact name. See docs/security.md.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from automl.kit import SKOPS_TRUSTED_TYPES, SearchContext, skops_loader
from automl.kit import SklearnModel as SklearnModel  # model files saved before the wrapper moved name it here

# The tabular wrapper subclasses: SklearnModel plus plain attributes
TABULAR_TYPES = (
    "automl_plugins.tabular.models.forest.ForestModel",  # random_forest and extra_trees: SklearnModel + n_threads
    "automl_plugins.tabular.models.hist_gb.HistGBModel",  # hist_gb: SklearnModel + n_threads
    "automl_plugins.tabular.models.mlp.MLPModel",  # mlp: SklearnModel + early-stopping bookkeeping
)
# The wrapper under the name files saved before it moved into the core give it: older runs keep loading.
MOVED_TYPES = ("automl_plugins.tabular.models._common.SklearnModel",)
# Every type beyond skops's own trusted set that a built-in model saves (tests/security/test_skops_types.py)
TRUSTED_TYPES: frozenset[str] = SKOPS_TRUSTED_TYPES | frozenset(TABULAR_TYPES)


def is_classification(ctx: SearchContext) -> bool:
    return ctx.kind in ("binary", "multiclass")


def class_weight_choices(ctx: SearchContext) -> list[Any]:
    """Class weights are searched only when the classes are imbalanced."""
    if is_classification(ctx) and ctx.info.get("imbalance", 1.0) >= 1.5:
        return [None, "balanced"]
    return [None]


def load_skops(folder: Path, trusted_types: tuple[str, ...] = ()) -> Any:
    """A tabular model saved with skops (``ModelSpec.load``); ``trusted_types`` adds a plugin's own classes."""
    return skops_loader(*TABULAR_TYPES, *MOVED_TYPES, *trusted_types)(folder)
