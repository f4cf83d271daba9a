"""The Transformer fine-tuning plugin (extra ``finetune``): only hook implementations live here.

Importing it loads neither torch nor transformers: they are imported when a
backbone is resolved or a model is built, and a missing one names the extra.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from automl.kit import MetricSpec, ModelSpec, TaskSpec, hookimpl
from automl_plugins.finetune.metrics import METRICS
from automl_plugins.finetune.models import MODELS
from automl_plugins.finetune.report import section
from automl_plugins.finetune.task import FINETUNE


@hookimpl
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    register(FINETUNE)


@hookimpl
def automl_register_models(register: Callable[[ModelSpec], None]) -> None:
    for spec in MODELS:
        register(spec)


@hookimpl
def automl_register_metrics(register: Callable[[MetricSpec], None]) -> None:
    for spec in METRICS:
        register(spec)


@hookimpl
def automl_report_sections(run: Any) -> list[dict[str, str]] | None:
    return section(run)
