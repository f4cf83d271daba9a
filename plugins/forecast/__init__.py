"""The forecasting plugin: what it registers, declared once (``automl.kit.TaskPlugin``).

Seasonal naive and the global LightGBM need only the core install; ETS, ARIMA
and Theta come from statsforecast with the ``forecast`` extra.
"""

from __future__ import annotations

import importlib.resources

from automl.kit import TaskPlugin
from automl_plugins.forecast.metrics import METRICS
from automl_plugins.forecast.models import MODELS
from automl_plugins.forecast.task import FORECAST

# the preset is a file of this package, not a path: an installed wheel holds it too
PLUGIN = TaskPlugin(tasks=(FORECAST,), models=MODELS, metrics=METRICS,
                    presets=(importlib.resources.files(__name__) / "presets" / "demand_forecast.yaml",))
