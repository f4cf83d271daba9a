"""The recommendation plugin: what it registers, declared once (``automl.kit.TaskPlugin``).

Popularity, item-kNN and EASE need only the core install; ALS and BPR (the
``implicit`` library) and the neural CF model (torch) come with the
``recommend`` extra and are registered only when it is installed.
"""

from __future__ import annotations

import importlib.resources

from automl.kit import TaskPlugin
from automl_plugins.recommend.metrics import METRICS
from automl_plugins.recommend.models import MODELS
from automl_plugins.recommend.task import RECOMMEND

# the preset is a file of this package, not a path: an installed wheel holds it too
PLUGIN = TaskPlugin(tasks=(RECOMMEND,), models=MODELS, metrics=METRICS,
                    presets=(importlib.resources.files(__name__) / "presets" / "product_recs.yaml",))
