"""The tabular task plugin: what it registers, declared once (``automl.kit.TaskPlugin`` implements the hooks)."""

from __future__ import annotations

import importlib.resources
from typing import Any

from automl.kit import TaskPlugin
from automl_plugins.tabular.metrics import METRICS
from automl_plugins.tabular.models.forest import EXTRA_TREES, RANDOM_FOREST
from automl_plugins.tabular.models.hist_gb import HIST_GB
from automl_plugins.tabular.models.lightgbm import LIGHTGBM
from automl_plugins.tabular.models.linear import LINEAR
from automl_plugins.tabular.models.mlp import MLP
from automl_plugins.tabular.task import TABULAR


def _save_importances(run: Any) -> None:
    from automl_plugins.tabular import importance

    importance.save(run)  # the column importances, computed once instead of at every report


# the preset is a file of this package, not a path: an installed wheel holds it too
PLUGIN = TaskPlugin(tasks=(TABULAR,), models=(LIGHTGBM, LINEAR, RANDOM_FOREST, EXTRA_TREES, HIST_GB, MLP),
                    metrics=METRICS, fit_finished=_save_importances,
                    presets=(importlib.resources.files(__name__) / "presets" / "churn.yaml",))
