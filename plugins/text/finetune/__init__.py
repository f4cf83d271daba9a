"""The Transformer fine-tuning plugin (extra ``finetune``): what it registers, declared once
(``automl.kit.TaskPlugin``).

Importing it loads neither torch nor transformers: they are imported when a
backbone is resolved or a model is built, and a missing one names the extra.
"""

from __future__ import annotations

from automl.kit import TaskPlugin
from automl_plugins.text.finetune.metrics import METRICS
from automl_plugins.text.finetune.models import MODELS
from automl_plugins.text.finetune.task import FINETUNE

PLUGIN = TaskPlugin(tasks=(FINETUNE,), models=MODELS, metrics=METRICS)
