"""The tabular task plugin: only hook implementations live here."""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from importlib.resources.abc import Traversable
from typing import Any

from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl
from automl_plugins.tabular.metrics import METRICS
from automl_plugins.tabular.models.forest import EXTRA_TREES, RANDOM_FOREST
from automl_plugins.tabular.models.hist_gb import HIST_GB
from automl_plugins.tabular.models.lightgbm import LIGHTGBM
from automl_plugins.tabular.models.linear import LINEAR
from automl_plugins.tabular.models.mlp import MLP
from automl_plugins.tabular.report import section
from automl_plugins.tabular.task import TABULAR


@hookimpl
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    register(TABULAR)


@hookimpl
def automl_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in (LIGHTGBM, LINEAR, RANDOM_FOREST, EXTRA_TREES, HIST_GB, MLP):
        register(spec)


@hookimpl
def automl_register_metrics(register: Callable[[MetricSpec], None]) -> None:
    for spec in METRICS:
        register(spec)


@hookimpl
def automl_register_presets(register: Callable[[Traversable], None]) -> None:
    # a file of this package, not a path: an installed wheel holds it too
    register(importlib.resources.files(__name__) / "presets" / "churn.yaml")


@hookimpl
def automl_fit_finished(run: Any) -> None:
    from automl_plugins.tabular import importance

    importance.save(run)  # the column importances, computed once instead of at every report


@hookimpl
def automl_report_sections(run: Any) -> list[dict[str, str]] | None:
    return section(run)
