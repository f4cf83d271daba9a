"""ETS, ARIMA and Theta from statsforecast, fitted per series with their own prediction intervals.

Searched for each: whether to model the season, a log transform (positive
series only), and how much recent history to fit on: a long daily series
often forecasts better, and always fits faster, from its last few hundred
points. statsforecast (and numba) are imported only when a model is fitted.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from automl.kit import ModelSpec, SearchContext
from automl_plugins.forecast.models.base import (
    Forecaster,
    History,
    LogTransform,
    building,
    loader,
    save,
    season,
)
from automl_plugins.forecast.models.naive import SeasonalNaive

HISTORY_SEASONS = (0, 10, 25, 50, 100)  # fit on the last N seasons; 0 means the whole history
MIN_POINTS = 8
MAX_ARIMA_POINTS = 1000  # the ARIMA order search grows quickly with length (85 s for 3,600 daily points)
LEVELS = (80, 95)


class StatsForecastModel(Forecaster):
    """One statsforecast model per series; a series it cannot fit falls back to seasonal naive."""

    max_points: int | None = None

    def _make(self, m: int) -> Any:
        raise NotImplementedError

    def _forecast(self, history: History, horizon: int) -> np.ndarray:
        values = self._recent(history.values)
        transform = LogTransform(self.params.get("log", False), values)
        m = season(self.params, self.season_length, len(values))
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                result = self._make(m).forecast(y=transform.forward(values).astype(np.float64), h=horizon,
                                                level=list(LEVELS))
            table = np.column_stack([result["mean"], result["lo-80"], result["hi-80"], result["lo-95"],
                                     result["hi-95"]])
            if not np.isfinite(table).all():
                raise ValueError("non-finite forecast")
            return transform.inverse(table)
        except Exception:  # noqa: BLE001 - one hard series must not sink the model for all the others
            naive = SeasonalNaive({}, {"horizon": horizon, "season_length": self.season_length})
            return naive._forecast(history, horizon)

    def _recent(self, values: np.ndarray) -> np.ndarray:
        seasons = int(self.params.get("history_seasons") or 0)
        keep = len(values)
        if seasons:
            keep = min(keep, max(seasons * max(self.season_length, 1), MIN_POINTS))
        if self.max_points:
            keep = min(keep, self.max_points)
        return values[-keep:]


class ETS(StatsForecastModel):
    key = "ets"

    def _make(self, m: int) -> Any:
        from statsforecast.models import AutoETS

        damped = {"auto": None, "yes": True, "no": False}[self.params.get("damped", "auto")]
        return AutoETS(season_length=m, damped=damped)


class ARIMA(StatsForecastModel):
    key = "arima"
    max_points = MAX_ARIMA_POINTS

    def _make(self, m: int) -> Any:
        from statsforecast.models import AutoARIMA

        return AutoARIMA(season_length=m, approximation=bool(self.params.get("approximation", False)))


class Theta(StatsForecastModel):
    key = "theta"

    def _make(self, m: int) -> Any:
        from statsforecast.models import AutoTheta

        return AutoTheta(season_length=m, decomposition_type=self.params.get("decomposition", "multiplicative"))


def common_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    params: dict[str, Any] = {"seasonal": True, "log": False, "history_seasons": 0}
    if int(ctx.info.get("season_length", 1)) > 1:
        params["seasonal"] = trial.suggest_categorical("seasonal", [True, False])
    if ctx.info.get("positive"):
        params["log"] = trial.suggest_categorical("log", [False, True])
    seasons = int(ctx.info.get("max_length", 0)) / max(int(ctx.info.get("season_length", 1)), 1)
    choices = [s for s in HISTORY_SEASONS if s == 0 or s < seasons]
    if len(choices) > 1:
        params["history_seasons"] = trial.suggest_categorical("history_seasons", choices)
    return params


def ets_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {**common_space(trial, ctx), "damped": trial.suggest_categorical("damped", ["auto", "yes", "no"])}


def arima_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {**common_space(trial, ctx), "approximation": trial.suggest_categorical("approximation", [False, True])}


def theta_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    decomposition = trial.suggest_categorical("decomposition", ["multiplicative", "additive"])
    return {**common_space(trial, ctx), "decomposition": decomposition}


DEFAULTS = {"seasonal": True, "log": False, "history_seasons": 0}
ETS_SPEC = ModelSpec(
    key=ETS.key, task="forecast", search_space=ets_space, build=building(ETS), save=save, load=loader(ETS),
    defaults={**DEFAULTS, "damped": "auto"}, portfolio=({**DEFAULTS, "damped": "auto", "log": True},),
    description="exponential smoothing, the form chosen by AIC (statsforecast AutoETS)",
)
ARIMA_SPEC = ModelSpec(
    key=ARIMA.key, task="forecast", search_space=arima_space, build=building(ARIMA), save=save, load=loader(ARIMA),
    defaults={**DEFAULTS, "approximation": False}, portfolio=({**DEFAULTS, "approximation": False, "log": True},),
    description="seasonal ARIMA, orders chosen stepwise by AICc (statsforecast AutoARIMA)",
)
THETA_SPEC = ModelSpec(
    key=Theta.key, task="forecast", search_space=theta_space, build=building(Theta), save=save, load=loader(Theta),
    defaults={**DEFAULTS, "decomposition": "multiplicative"},
    description="the Theta method, the variant chosen by fit (statsforecast AutoTheta)",
)
