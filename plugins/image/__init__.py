"""The image classification plugin (extra ``image``): what it registers, declared once (``automl.kit.TaskPlugin``).

Importing it loads neither torch nor Pillow; they are imported when an image
task is loaded or a model is built, and a missing one names the extra to install.
"""

from __future__ import annotations

import importlib.resources

from automl.kit import TaskPlugin
from automl_plugins.image.metrics import METRICS
from automl_plugins.image.models.cnn import CNN
from automl_plugins.image.models.linear import LINEAR
from automl_plugins.image.models.mlp import MLP
from automl_plugins.image.task import IMAGE

# the preset is a file of this package, not a path: an installed wheel holds it too
PLUGIN = TaskPlugin(tasks=(IMAGE,), models=(LINEAR, MLP, CNN), metrics=METRICS,
                    presets=(importlib.resources.files(__name__) / "presets" / "defect_inspection.yaml",))
