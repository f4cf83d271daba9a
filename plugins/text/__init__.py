"""The text classification plugin: what it registers, declared once (``automl.kit.TaskPlugin``).

It needs only the core install (scikit-learn, LightGBM): TF-IDF word and
character n-grams with linear models, and LSA features with LightGBM.
"""

from __future__ import annotations

import importlib.resources

from automl.kit import TaskPlugin
from automl_plugins.text.metrics import METRICS
from automl_plugins.text.models import MODELS
from automl_plugins.text.task import TEXT

# the preset is a file of this package, not a path: an installed wheel holds it too
PLUGIN = TaskPlugin(tasks=(TEXT,), models=MODELS, metrics=METRICS,
                    presets=(importlib.resources.files(__name__) / "presets" / "ticket_routing.yaml",))
