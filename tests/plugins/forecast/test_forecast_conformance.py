"""The forecast plugin passes the conformance kit that third-party plugins use."""

from __future__ import annotations

from typing import Any

import automl_plugins.forecast
from automl.testing import TaskPluginTestCase
from automl.testing.checks import SampleSetup


class TestForecastConformance(TaskPluginTestCase):
    task = "forecast"
    plugin = automl_plugins.forecast.PLUGIN

    def check_predictions(self, predictions: Any, sample: SampleSetup) -> None:
        """docs/architecture.md's contract: the id column, the date, the point forecast and the 80%/95% bounds."""
        assert list(predictions.columns) == ["store", "month", "prediction", "lo_80", "hi_80", "lo_95", "hi_95"]
        info = sample.dataset.info
        assert len(predictions) == info["n_series"] * info["horizon"]
        assert (predictions["lo_95"] <= predictions["lo_80"]).all()
        assert (predictions["lo_80"] <= predictions["prediction"]).all()
        assert (predictions["prediction"] <= predictions["hi_80"]).all()
        assert (predictions["hi_80"] <= predictions["hi_95"]).all()
