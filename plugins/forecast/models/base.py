"""What every forecaster shares: the series from rows, the forecast table, and files.

A forecaster's output depends on nothing but its training history, so
``fit`` forecasts the next ``horizon`` periods of every series at once (point
and 80%/95% bounds) and keeps that table; ``predict`` looks each row's period
up in it. Saving writes the table (``forecast.npz``, loaded without pickle) and
the parameters (``model.json``): a saved model predicts instantly and exactly
as it did when fitted.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from automl.kit import SearchContext, UserError

FORMAT_VERSION = 1
TABLE_FILE, META_FILE = "forecast.npz", "model.json"
COLUMNS = 5  # point, lo_80, hi_80, lo_95, hi_95
Z80, Z95 = 1.2815515655446004, 1.959963984540054


@dataclass
class History:
    """One series' training values, oldest first, and the period number of its last value."""

    values: np.ndarray
    last_t: int


def histories(X: pd.DataFrame, y: np.ndarray) -> dict[int, History]:
    series, t = X["series"].to_numpy(), X["t"].to_numpy()
    values = np.asarray(y, dtype=float)
    values = values[:, 0] if values.ndim == 2 else values
    out = {}
    for code in np.unique(series):
        mine = np.flatnonzero(series == code)
        mine = mine[np.argsort(t[mine])]
        out[int(code)] = History(values[mine], int(t[mine][-1]))
    return out


def normal_bounds(point: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """The table's five columns from a point forecast and a standard deviation per step."""
    return np.column_stack([point, point - Z80 * sigma, point + Z80 * sigma, point - Z95 * sigma, point + Z95 * sigma])


class Forecaster:
    """Subclasses implement ``_forecast(history, horizon) -> (horizon, 5)`` for one series, or ``_forecast_all``."""

    key: ClassVar[str] = ""

    def __init__(self, params: dict[str, Any], info: dict[str, Any], n_threads: int = 1, seed: int = 0) -> None:
        self.params = dict(params)
        self.horizon = int(info.get("horizon", 1))
        self.season_length = int(info.get("season_length", 1))
        self.period_code = str(info.get("period_code", "D"))
        self.n_threads, self.seed = n_threads, seed
        self.table: dict[int, np.ndarray] = {}
        self.last_t: dict[int, int] = {}

    def fit(self, X: pd.DataFrame, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> Forecaster:
        series = histories(X, y)
        self.last_t = {code: h.last_t for code, h in series.items()}
        self.table = self._forecast_all(series, self.horizon)
        return self

    def _forecast_all(self, series: dict[int, History], horizon: int) -> dict[int, np.ndarray]:
        return {code: self._forecast(history, horizon) for code, history in series.items()}

    def _forecast(self, history: History, horizon: int) -> np.ndarray:
        raise NotImplementedError

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        out = np.full((len(X), COLUMNS), np.nan)
        series, t = X["series"].to_numpy(), X["t"].to_numpy()
        for code in np.unique(series):
            if int(code) not in self.table:
                continue
            rows = np.flatnonzero(series == code)
            step = t[rows] - self.last_t[int(code)]
            inside = (step >= 1) & (step <= self.horizon)
            out[rows[inside]] = self.table[int(code)][step[inside] - 1]
        return out


def season(params: dict[str, Any], season_length: int, n: int) -> int:
    """The season length a model uses: none when asked, or when the history holds fewer than two seasons."""
    if not params.get("seasonal", True) or season_length < 2 or n < 2 * season_length:
        return 1
    return season_length


class LogTransform:
    """log1p on series that are positive, when asked: multiplicative seasonality becomes additive."""

    def __init__(self, enabled: bool, values: np.ndarray) -> None:
        self.on = bool(enabled) and bool((values > 0).all())

    def forward(self, values: np.ndarray) -> np.ndarray:
        return np.log1p(values) if self.on else values

    def inverse(self, table: np.ndarray) -> np.ndarray:
        return np.expm1(table) if self.on else table


def save(model: Forecaster, folder: Path) -> None:
    folder = Path(folder)
    codes = sorted(model.table)
    np.savez(folder / TABLE_FILE, codes=np.asarray(codes, dtype=np.int64),
             last_t=np.asarray([model.last_t[c] for c in codes], dtype=np.int64),
             table=np.stack([model.table[c] for c in codes]) if codes else np.zeros((0, model.horizon, COLUMNS)))
    meta = {"format": FORMAT_VERSION, "model": model.key, "params": model.params, "horizon": model.horizon,
            "season_length": model.season_length, "period_code": model.period_code}
    (folder / META_FILE).write_text(json.dumps(meta, indent=2, default=str) + "\n")


def loader(cls: type[Forecaster]) -> Callable[[Path], Forecaster]:
    def load(folder: Path) -> Forecaster:
        folder = Path(folder)
        meta = json.loads((folder / META_FILE).read_text())
        if meta.get("format") != FORMAT_VERSION or meta.get("model") != cls.key:
            raise UserError(f"{folder} does not hold a {cls.key} forecaster of format {FORMAT_VERSION}")
        info = {"horizon": meta["horizon"], "season_length": meta["season_length"], "period_code": meta["period_code"]}
        model = cls(meta["params"], info)
        with np.load(folder / TABLE_FILE, allow_pickle=False) as arrays:
            codes, last_t, table = arrays["codes"], arrays["last_t"], arrays["table"]
        model.table = {int(c): table[i] for i, c in enumerate(codes)}
        model.last_t = {int(c): int(last_t[i]) for i, c in enumerate(codes)}
        return model

    return load


def building(cls: type[Forecaster]) -> Callable[[dict[str, Any], SearchContext], Forecaster]:
    def build(params: dict[str, Any], ctx: SearchContext) -> Forecaster:
        return cls(params, ctx.info, n_threads=ctx.n_threads, seed=ctx.seed)

    return build
