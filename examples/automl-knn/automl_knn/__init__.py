"""automl-knn: a k-nearest-neighbours model for automl's tabular task.

Only the hook implementation lives here; the model is plain data in
:mod:`automl_knn.model`. automl finds this module through the ``automl``
entry point in pyproject.toml.
"""

from __future__ import annotations

from collections.abc import Callable

from automl.kit import ModelSpec, hookimpl

from automl_knn.model import KNN


@hookimpl
def automl_register_models(register: Callable[[ModelSpec], None]) -> None:
    register(KNN)
