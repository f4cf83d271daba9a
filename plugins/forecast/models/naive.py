"""Seasonal naive, the baseline: each period repeats the same period of the last season."""

from __future__ import annotations

from typing import Any

import numpy as np

from automl.kit import ModelSpec, SearchContext
from automl_plugins.forecast.models.base import Forecaster, History, building, loader, normal_bounds, save


class SeasonalNaive(Forecaster):
    key = "seasonal_naive"

    def _forecast(self, history: History, horizon: int) -> np.ndarray:
        values = history.values
        m = self.season_length if len(values) > self.season_length else 1
        steps = np.arange(horizon)
        point = values[len(values) - m + steps % m]
        # the textbook interval: the in-sample seasonal differences' spread, widening with each season ahead
        differences = values[m:] - values[:-m]
        sigma = float(np.std(differences)) if len(differences) > 1 else float(np.std(values))
        return normal_bounds(point, sigma * np.sqrt(steps // m + 1))


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {}


SEASONAL_NAIVE = ModelSpec(
    key=SeasonalNaive.key, task="forecast", search_space=search_space, build=building(SeasonalNaive), save=save,
    load=loader(SeasonalNaive), defaults={}, baseline=True, description="repeat the last season (the baseline)",
)
