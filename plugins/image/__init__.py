"""The image classification plugin (extra ``image``): only hook implementations live here.

Importing it loads neither torch nor Pillow; they are imported when an image
task is loaded or a model is built, and a missing one names the extra to install.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from importlib.resources.abc import Traversable
from typing import Any

from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl
from automl_plugins.image.metrics import METRICS
from automl_plugins.image.models.cnn import CNN
from automl_plugins.image.models.linear import LINEAR
from automl_plugins.image.models.mlp import MLP
from automl_plugins.image.report import section
from automl_plugins.image.task import IMAGE


@hookimpl
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    register(IMAGE)


@hookimpl
def automl_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in (LINEAR, MLP, CNN):
        register(spec)


@hookimpl
def automl_register_metrics(register: Callable[[MetricSpec], None]) -> None:
    for spec in METRICS:
        register(spec)


@hookimpl
def automl_register_presets(register: Callable[[Traversable], None]) -> None:
    # a file of this package, not a path: an installed wheel holds it too
    register(importlib.resources.files(__name__) / "presets" / "defect_inspection.yaml")


@hookimpl
def automl_report_sections(run: Any) -> list[dict[str, str]] | None:
    return section(run)
