"""The text classification plugin: only hook implementations live here.

It needs only the core install (scikit-learn, LightGBM): TF-IDF word and
character n-grams with linear models, and LSA features with LightGBM.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from importlib.resources.abc import Traversable
from typing import Any

from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl
from automl_plugins.text.metrics import METRICS
from automl_plugins.text.models import MODELS
from automl_plugins.text.report import section
from automl_plugins.text.task import TEXT


@hookimpl
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    register(TEXT)


@hookimpl
def automl_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in MODELS:
        register(spec)


@hookimpl
def automl_register_metrics(register: Callable[[MetricSpec], None]) -> None:
    for spec in METRICS:
        register(spec)


@hookimpl
def automl_register_presets(register: Callable[[Traversable], None]) -> None:
    # a file of this package, not a path: an installed wheel holds it too
    register(importlib.resources.files(__name__) / "presets" / "ticket_routing.yaml")


@hookimpl
def automl_report_sections(run: Any) -> list[dict[str, str]] | None:
    return section(run)
