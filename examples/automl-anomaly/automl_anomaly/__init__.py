"""automl-anomaly: an anomaly-detection task for automl, as a third-party plugin.

Only the hook implementations live here; the task, its detectors and its
metrics are plain data in the other modules. automl finds this module through
the ``automl`` entry point in pyproject.toml. The core is used only through
its plugin API, ``automl.kit``; no built-in plugin is imported.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from importlib.resources.abc import Traversable

from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl

from automl_anomaly.metrics import METRICS
from automl_anomaly.models import MODELS
from automl_anomaly.task import TASK


@hookimpl
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    register(TASK)


@hookimpl
def automl_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in MODELS:  # the isolation forest first: the conformance kit checks the metrics with the first model
        register(spec)


@hookimpl
def automl_register_metrics(register: Callable[[MetricSpec], None]) -> None:
    for spec in METRICS:
        register(spec)


@hookimpl
def automl_register_presets(register: Callable[[Traversable], None]) -> None:
    # a file of this package (pyproject.toml's package-data), so an installed wheel holds it too
    register(importlib.resources.files(__name__) / "presets" / "fraud_alerts.yaml")
