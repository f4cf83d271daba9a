"""Metrics of the finetune task: the text task's, registered for task ``finetune``."""

from __future__ import annotations

from dataclasses import replace

from automl_plugins.text.metrics import METRICS as TEXT_METRICS

METRICS = tuple(replace(metric, tasks=("finetune",)) for metric in TEXT_METRICS)
