"""The recommendation plugin: only hook implementations live here.

Popularity, item-kNN and EASE need only the core install; ALS and BPR (the
``implicit`` library) and the neural CF model (torch) come with the
``recommend`` extra and are registered only when it is installed.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from importlib.resources.abc import Traversable
from typing import Any

from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl
from automl_plugins.recommend.metrics import METRICS
from automl_plugins.recommend.models import MODELS
from automl_plugins.recommend.report import section
from automl_plugins.recommend.task import RECOMMEND


@hookimpl
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    register(RECOMMEND)


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
    register(importlib.resources.files(__name__) / "presets" / "product_recs.yaml")


@hookimpl
def automl_report_sections(run: Any) -> list[dict[str, str]] | None:
    return section(run)
