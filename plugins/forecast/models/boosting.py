"""A global LightGBM model over lags, rolling means and the calendar, forecasting recursively.

One model learns from every series at once (each standardised by its own
training mean and spread, optionally after a log and with first differences),
so a new store borrows strength from the others. Its intervals are
conformal: before the final fit, the model is refitted on the history minus
the last one or two horizons, and the absolute errors of those forecasts, step
by step, give the 80% and 95% half-widths. Everything is computed from the
training history alone.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from automl.kit import ModelSpec, SearchContext
from automl_plugins.forecast.calendar import calendar_features
from automl_plugins.forecast.models.base import Z80, Z95, Forecaster, History, building, loader, save

LAG_SETS = ("season", "two_seasons", "sparse")
WINDOW_SETS = ("none", "season", "season_and_long")
CALIBRATION_WINDOWS = 2
MIN_TRAIN_ROWS = 10


def lag_list(name: str, m: int) -> list[int]:
    m = max(m, 2)
    if name == "season":
        return list(range(1, m + 1))
    if name == "two_seasons":
        return list(range(1, 2 * m + 1))
    return sorted({1, 2, 3, m, 2 * m})


def window_list(name: str, m: int) -> list[int]:
    m = max(m, 2)
    return {"none": [], "season": [m], "season_and_long": [m, 4 * m]}[name]


def spread(values: np.ndarray) -> float:
    """A series' size, to pool interval errors across series of different scales."""
    return float(np.std(values)) or float(np.mean(np.abs(values))) or 1.0


class Series:
    """One series in the model's working scale: standardised, then differenced when asked."""

    def __init__(self, values: np.ndarray, last_t: int, log: bool, diff: bool) -> None:
        self.log = log and bool((values > 0).all())
        self.diff = diff
        level = np.log(values) if self.log else values
        self.mean, self.sd = float(np.mean(level)), float(np.std(level)) or 1.0
        z = (level - self.mean) / self.sd
        self.anchor = float(z[-1])
        self.work = np.diff(z) if diff else z
        self.first_t = last_t - len(self.work) + 1

    def restore(self, work_path: np.ndarray) -> np.ndarray:
        z = self.anchor + np.cumsum(work_path) if self.diff else work_path
        level = z * self.sd + self.mean
        return np.exp(np.clip(level, -50, 50)) if self.log else level


def feature_rows(work: np.ndarray, positions: np.ndarray, lags: list[int], windows: list[int]) -> np.ndarray:
    """Lags and trailing means of ``work`` for the values at ``positions`` (using only earlier values)."""
    columns = [work[positions - lag] for lag in lags]
    if windows:
        cumulative = np.concatenate([[0.0], np.cumsum(work)])
        for w in windows:
            start = np.maximum(positions - w, 0)
            columns.append((cumulative[positions] - cumulative[start]) / np.maximum(positions - start, 1))
    return np.column_stack(columns) if columns else np.zeros((len(positions), 0))


class GlobalLightGBM(Forecaster):
    key = "lightgbm"

    def _forecast_all(self, series: dict[int, History], horizon: int) -> dict[int, np.ndarray]:
        points = self._fit_and_forecast(series, horizon)
        half = self._conformal_half_widths(series, horizon)
        table = {}
        for code, point in points.items():
            scale = spread(series[code].values)
            h80, h95 = half[0] * scale, half[1] * scale
            table[code] = np.column_stack([point, point - h80, point + h80, point - h95, point + h95])
        return table

    def _settings(self) -> tuple[list[int], list[int], bool, bool]:
        m = self.season_length
        transform = self.params.get("transform", "none")
        return (lag_list(self.params.get("lags", "season"), m), window_list(self.params.get("windows", "season"), m),
                transform == "log", transform == "diff")

    def _fit_and_forecast(self, series: dict[int, History], horizon: int) -> dict[int, np.ndarray]:
        import lightgbm as lgb

        lags, windows, log, diff = self._settings()
        prepared = {code: Series(h.values, h.last_t, log, diff) for code, h in series.items()}
        features, targets = [], []
        first = max(lags + windows)
        for code, s in prepared.items():
            positions = np.arange(first, len(s.work))
            if len(positions) == 0:
                continue
            features.append(self._design(s, code, s.work, positions, lags, windows))
            targets.append(s.work[positions])
        if not features or sum(len(t) for t in targets) < MIN_TRAIN_ROWS:
            raise ValueError(f"too little history for lags up to {first}: choose fewer lags")
        booster = lgb.LGBMRegressor(
            n_estimators=int(self.params.get("n_estimators", 300)),
            learning_rate=float(self.params.get("learning_rate", 0.05)),
            num_leaves=int(self.params.get("num_leaves", 15)),
            min_child_samples=int(self.params.get("min_child_samples", 10)),
            colsample_bytree=float(self.params.get("feature_fraction", 0.8)),
            reg_lambda=float(self.params.get("lambda_l2", 0.0)),
            n_jobs=1, random_state=self.seed, verbose=-1,  # a few thousand rows: threads only add overhead
        )
        booster.fit(np.vstack(features), np.concatenate(targets))
        return self._recursive(booster, prepared, horizon, lags, windows)

    def _design(self, s: Series, code: int, work: np.ndarray, positions: np.ndarray, lags: list[int],
                windows: list[int]) -> np.ndarray:
        calendar = calendar_features(s.first_t + positions, self.period_code)
        season_position = ((s.first_t + positions) % max(self.season_length, 1))[:, None].astype(float)
        code_column = np.full((len(positions), 1), float(code))
        return np.hstack([feature_rows(work, positions, lags, windows), calendar, season_position, code_column])

    def _recursive(self, booster: Any, prepared: dict[int, Series], horizon: int, lags: list[int],
                   windows: list[int]) -> dict[int, np.ndarray]:
        codes = list(prepared)
        extended = {code: np.concatenate([prepared[code].work, np.zeros(horizon)]) for code in codes}
        for step in range(horizon):
            rows = []
            for code in codes:
                position = np.array([len(prepared[code].work) + step])
                rows.append(self._design(prepared[code], code, extended[code], position, lags, windows))
            predicted = booster.predict(np.vstack(rows))
            for code, value in zip(codes, predicted, strict=True):
                extended[code][len(prepared[code].work) + step] = value
        return {code: prepared[code].restore(extended[code][-horizon:]) for code in codes}

    def _conformal_half_widths(self, series: dict[int, History], horizon: int) -> tuple[np.ndarray, np.ndarray]:
        """80% and 95% absolute errors per step, in units of each series' spread, from refits on earlier cut-offs."""
        lags, windows, _, _ = self._settings()
        needed = max(lags + windows) + MIN_TRAIN_ROWS + 1
        errors = []
        for k in range(1, CALIBRATION_WINDOWS + 1):
            cut = {code: History(h.values[: -k * horizon], h.last_t - k * horizon) for code, h in series.items()
                   if len(h.values) - k * horizon >= needed}
            if not cut:
                break
            try:
                forecasts = self._fit_and_forecast(cut, horizon)
            except ValueError:
                break
            for code, point in forecasts.items():
                actual = series[code].values[len(cut[code].values): len(cut[code].values) + horizon]
                scale = spread(cut[code].values)
                errors.append(np.abs(actual - point) / scale)
        if not errors:  # no room to calibrate: a normal interval from the spread, widening with the horizon
            width = np.sqrt(np.arange(1, horizon + 1)) * 0.5
            return Z80 * width, Z95 * width
        return _pooled_quantiles(np.vstack(errors), (0.8, 0.95))


def _pooled_quantiles(errors: np.ndarray, levels: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Per-step quantiles of the errors of nearby steps too (few windows hold few errors), never narrowing ahead."""
    horizon = errors.shape[1]
    reach = max(1, horizon // 8)
    out = []
    for level in levels:
        widths = np.array([np.quantile(errors[:, max(0, j - reach): j + reach + 1], level) for j in range(horizon)])
        out.append(np.maximum.accumulate(widths))
    return out[0], out[1]


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    transforms = ["none", "diff"] + (["log"] if ctx.info.get("positive") else [])
    return {
        "lags": trial.suggest_categorical("lags", list(LAG_SETS)),
        "windows": trial.suggest_categorical("windows", list(WINDOW_SETS)),
        "transform": trial.suggest_categorical("transform", transforms),
        "n_estimators": trial.suggest_int("n_estimators", 50, 800, log=True),
        "learning_rate": trial.suggest_float("learning_rate", 0.01, 0.3, log=True),
        "num_leaves": trial.suggest_int("num_leaves", 4, 63, log=True),
        "min_child_samples": trial.suggest_int("min_child_samples", 2, 50, log=True),
        "feature_fraction": trial.suggest_float("feature_fraction", 0.5, 1.0),
        "lambda_l2": trial.suggest_float("lambda_l2", 1e-3, 10.0, log=True),
    }


DEFAULTS = {"lags": "season", "windows": "season", "transform": "diff", "n_estimators": 300, "learning_rate": 0.05,
            "num_leaves": 15, "min_child_samples": 10, "feature_fraction": 0.8, "lambda_l2": 0.1}
LIGHTGBM = ModelSpec(
    key=GlobalLightGBM.key, task="forecast", search_space=search_space, build=building(GlobalLightGBM), save=save,
    load=loader(GlobalLightGBM), defaults=DEFAULTS,
    portfolio=({**DEFAULTS, "transform": "none", "lags": "two_seasons"},),
    description="one LightGBM over every series' lags, rolling means and calendar, recursive (conformal intervals)",
    cost_params=("n_estimators",),
)
