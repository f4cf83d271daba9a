"""The forecasting plugin: only hook implementations live here.

Seasonal naive and the global LightGBM need only the core install; ETS, ARIMA
and Theta come from statsforecast with the ``forecast`` extra.
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Callable
from importlib.resources.abc import Traversable
from typing import Any

from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl
from automl_plugins.forecast.metrics import METRICS
from automl_plugins.forecast.models import MODELS
from automl_plugins.forecast.report import section
from automl_plugins.forecast.task import FORECAST


@hookimpl
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    register(FORECAST)


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
    register(importlib.resources.files(__name__) / "presets" / "demand_forecast.yaml")


@hookimpl
def automl_report_sections(run: Any) -> list[dict[str, str]] | None:
    return section(run)
