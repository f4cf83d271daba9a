"""automl: plugin-based AutoML. A CSV or a folder in; a tuned model, a leaderboard and a report out.

The public API is small: :class:`AutoML` runs a search and returns a
:class:`Run`; plugins implement hooks marked with :data:`hookimpl` and register
:class:`TaskSpec`, :class:`ModelSpec` and :class:`MetricSpec` objects.
Heavy modules are imported only when used, so ``import automl`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from automl.errors import MissingExtra, UserError
from automl.hookspecs import hookimpl
from automl.specs import (
    Batch,
    Dataset,
    DataSource,
    Estimator,
    Fold,
    MetricSpec,
    ModelSpec,
    SearchContext,
    TaskSpec,
    TaskWords,
)

if TYPE_CHECKING:
    from automl.api import AutoML, Run

__version__ = "0.1.0"
__all__ = [
    "AutoML",
    "Batch",
    "DataSource",
    "Dataset",
    "Estimator",
    "Fold",
    "MetricSpec",
    "MissingExtra",
    "ModelSpec",
    "Run",
    "SearchContext",
    "TaskSpec",
    "TaskWords",
    "UserError",
    "hookimpl",
]


def __getattr__(name: str) -> Any:
    if name in ("AutoML", "Run"):
        from automl import api

        return getattr(api, name)
    raise AttributeError(f"module 'automl' has no attribute {name!r}")
