"""The forecast task: a dated table in, the next ``horizon`` periods of every series out.

The core sees rows, and here a row is one observation of one series:

- ``X`` is a DataFrame with the series code ``series`` and the period number
  ``t`` (see :mod:`.calendar`), sorted by series then time, with no gaps
  (missing periods are filled by interpolation when loading);
- ``y`` is the float array ``[[value, scale], ...]``: the observation and its
  series' MASE scale, the mean absolute seasonal difference over the history
  before the first backtest window (so no fold's future is in it);
- a model's ``predict(X)`` returns, for every row, the forecast of that period
  made from the end of the model's training history, as ``[point, lo_80,
  hi_80, lo_95, hi_95]``.

Validation is a rolling-origin backtest: fold k trains on everything up to
``k`` horizons before the end of each series and is scored on the next
``horizon`` points.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import (
    Batch,
    Dataset,
    DataSource,
    Fold,
    TaskOption,
    TaskSpec,
    TaskWords,
    UserError,
    plural,
    read_table,
    source_name,
)
from automl_plugins.forecast import calendar
from automl_plugins.forecast import columns as cols
from automl_plugins.forecast.report import section

NAME = "forecast"
KIND = "series"
MAX_WINDOWS = 5
HELD_OUT_SHARE = 0.4  # the backtest windows together take at most this share of the longest series
DETECTED = 0.95
DEFAULT_HORIZON = {"hourly": 24, "daily": 14, "weekly": 13, "monthly": 12, "quarterly": 8, "yearly": 4}
OUTPUT_BOUNDS = ("lo_80", "hi_80", "lo_95", "hi_95")
SINGLE_SERIES = "series"


def detect(source: DataSource, options: Mapping[str, Any]) -> float:
    """Only with ``--horizon`` (or a date column named): then any table with a parseable, regular date column."""
    if not any(options.get(name) for name in ("horizon", "date_column")):
        return 0.0
    try:
        frame = read_table(source)
        date = cols.find_date_column(frame, options, source_name(source))
        calendar.infer_frequency(cols.read_dates(frame, date, ""), None, date)
    except (UserError, OSError, ValueError):
        return 0.0
    return DETECTED


def horizon_option(options: Mapping[str, Any], frequency: calendar.Frequency) -> int:
    value = options.get("horizon")
    if value is None or value == "":
        return DEFAULT_HORIZON[frequency.name]
    try:
        horizon = int(value)
    except (TypeError, ValueError):
        horizon = 0
    if horizon < 1 or str(horizon) != str(value).strip():
        raise UserError(f"--horizon must be a whole number of periods (1 or more), not {value!r}")
    return horizon


def min_training_points(season_length: int) -> int:
    return max(4, season_length + 1)


def backtest_windows(lengths: np.ndarray, horizon: int, season_length: int) -> int:
    """As many windows as fit, up to five: one window is one draw of luck, and choosing among models on it
    picks noise (a model best on November may be worst on December). The oldest window still trains on at least
    60% of the history, so the earliest fits resemble the final one."""
    longest = int(lengths.max())
    room = min(longest - min_training_points(season_length), int(HELD_OUT_SHARE * longest))
    at_least_one = longest - horizon >= min_training_points(season_length)
    return int(max(min(MAX_WINDOWS, room // horizon), 1 if at_least_one else 0))


def load(source: DataSource, options: Mapping[str, Any]) -> Dataset:
    where = source_name(source)
    notes: list[str] = []
    frame = read_table(source, notes)
    found = cols.find_columns(frame, options, where)
    reading = cols.date_order(frame[found.date], found.date, where)
    if reading.note:
        notes.append(reading.note)
    dates = cols.read_dates(frame, found.date, where, reading.order)
    values = cols.read_values(frame, found.target, where)
    keys = frame[found.series].astype(str).to_numpy() if found.series else np.full(len(frame), SINGLE_SERIES)
    frequency = calendar.infer_frequency(dates, pd.Series(keys), found.date)
    code = calendar.period_code(frequency, dates)
    t = calendar.to_periods(dates, code)
    _reject_duplicates(keys, t, dates, found, where)
    series_ids, codes = np.unique(keys, return_inverse=True)
    _refuse_empty_series(codes, values, series_ids, found, where)
    if found.ignored:
        notes.append(f"ignored columns {', '.join(found.ignored)} (covariates are not used yet)")
    series_t, series_values, filled = _regular_series(codes, t, values, len(series_ids))
    if filled:
        notes.append(f"filled {filled} missing dates or values by linear interpolation")
    lengths = np.array([len(v) for v in series_values])
    horizon = horizon_option(options, frequency)
    m = frequency.season_length
    _check_length(lengths, horizon, m, series_ids, found, where)
    windows = backtest_windows(lengths, horizon, m)
    scales = [mase_scale(v[: max(len(v) - windows * horizon, 2)], m) for v in series_values]
    X = pd.DataFrame({
        "series": np.concatenate([np.full(n, i) for i, n in enumerate(lengths)]).astype(np.int64),
        "t": np.concatenate(series_t).astype(np.int64),
    })
    y = np.column_stack([np.concatenate(series_values), np.repeat(scales, lengths)])
    schema = {
        "target": found.target, "date_column": found.date, "id_column": found.series,
        "frequency": frequency.name, "period_code": code, "dates_at_start": calendar.dates_at_start(dates, code),
        "date_order": reading.order,
        "horizon": horizon, "season_length": m, "series_ids": [str(s) for s in series_ids],
        "last_t": [int(s[-1]) for s in series_t],
    }
    info = {
        "horizon": horizon, "season_length": m, "frequency": frequency.name, "period_code": code,
        "n_series": len(series_ids), "n_points": int(lengths.sum()), "min_length": int(lengths.min()),
        "max_length": int(lengths.max()), "windows": windows, "positive": bool((y[:, 0] > 0).all()),
        "columns": {"date": found.date, "target": found.target, "id": found.series},
    }
    return Dataset(task=NAME, kind=KIND, X=X, y=y, schema=schema, notes=notes, info=info)


def _reject_duplicates(keys: np.ndarray, t: np.ndarray, dates: pd.Series, found: cols.Columns, where: str) -> None:
    pairs = pd.DataFrame({"key": keys, "t": t})
    repeated = pairs.duplicated(keep=False).to_numpy()
    if not repeated.any():
        return
    first = np.flatnonzero(repeated)[:4]
    lines = ", ".join(str(i + 2) for i in first)
    when = dates.iloc[first[0]].date() if hasattr(dates.iloc[first[0]], "date") else dates.iloc[first[0]]
    series = f" of series '{keys[first[0]]}' (column '{found.series}')" if found.series else ""
    hint = "give the series id column with --id-col, or " if not found.series else ""
    raise UserError(
        f"duplicate timestamps in column '{found.date}' of {where}: {when}{series} appears more than once "
        f"(lines {lines}); {hint}keep one row per date"
    )


def _refuse_empty_series(codes: np.ndarray, values: np.ndarray, series_ids: np.ndarray, found: cols.Columns,
                         where: str) -> None:
    """A series without one value would be "filled by interpolation" with nothing, and no model could fit it."""
    counts = np.bincount(codes, weights=~np.isnan(values), minlength=len(series_ids))
    empty = np.flatnonzero(counts == 0)
    if len(empty):
        raise UserError(
            f"series '{series_ids[empty[0]]}' (column '{found.series}') of {where} has no value of "
            f"'{found.target}' (every one is missing); fill them in or drop that series"
        )


def _regular_series(codes: np.ndarray, t: np.ndarray, values: np.ndarray,
                    n_series: int) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Each series on its complete period grid; missing periods and values interpolated linearly."""
    all_t, all_values, filled = [], [], 0
    for index in range(n_series):
        mine = codes == index
        order = np.argsort(t[mine])
        known_t, known_values = t[mine][order], values[mine][order]
        grid = np.arange(known_t[0], known_t[-1] + 1, dtype=np.int64)
        series = pd.Series(np.nan, index=grid)
        series.loc[known_t] = known_values
        filled += int(series.isna().sum())
        series = series.interpolate(limit_direction="both")
        all_t.append(grid)
        all_values.append(series.to_numpy(dtype=float))
    return all_t, all_values, filled


def _check_length(lengths: np.ndarray, horizon: int, m: int, series_ids: np.ndarray, found: cols.Columns,
                  where: str) -> None:
    longest = int(lengths.max())
    if longest < 2:
        raise UserError(
            f"{where} has a single point per series; a forecast needs a history: at least "
            f"{min_training_points(m) + horizon} dated values of '{found.target}'"
        )
    needed = min_training_points(m) + horizon
    if longest < needed:
        what = "longer than the history" if horizon >= longest else "too long for this history"
        raise UserError(
            f"--horizon {horizon} is {what}: the longest series has {longest} points, and validating a forecast "
            f"of {plural(horizon, 'period')} needs at least {needed}; give a shorter --horizon or more history"
        )


def mase_scale(values: np.ndarray, season_length: int) -> float:
    """The mean absolute seasonal difference (lag 1 when the history is shorter than a season)."""
    lag = season_length if len(values) > season_length else 1
    if len(values) <= lag:
        return max(float(np.mean(np.abs(values))), 1.0)
    scale = float(np.mean(np.abs(values[lag:] - values[:-lag])))
    return scale if scale > 0 else max(float(np.mean(np.abs(values))), 1.0)  # a constant series


def split(dataset: Dataset, seed: int) -> list[Fold]:
    """Rolling origin: window k (oldest first) validates each series' k-th last block of ``horizon`` points."""
    series = dataset.X["series"].to_numpy()
    horizon, windows = int(dataset.info["horizon"]), int(dataset.info["windows"])
    minimum = min_training_points(int(dataset.info["season_length"]))
    counts = np.bincount(series)
    position = np.arange(len(series)) - (np.cumsum(counts) - counts)[series]
    length = counts[series]
    folds = []
    for k in range(windows, 0, -1):
        cutoff = length - k * horizon
        usable = cutoff >= minimum
        train = np.flatnonzero(position < np.where(usable, cutoff, length))
        valid = np.flatnonzero(usable & (position >= cutoff) & (position < cutoff + horizon))
        if len(valid):
            folds.append((train, valid))
    return folds


def default_metric(dataset: Dataset) -> str:
    return "mase"


def prepare(source: DataSource | None, schema: Mapping[str, Any]) -> Batch:
    """The ``horizon`` periods after each series' last date, without a file or with the training history
    (a file holding the target column); otherwise the dates (and series) the file lists."""
    ids = np.asarray(schema["series_ids"], dtype=object)
    last_t = np.asarray(schema["last_t"], dtype=np.int64)
    horizon = int(schema["horizon"])
    frame = None if source is None else read_table(source)
    if frame is None or schema["target"] in frame.columns:
        if frame is not None:
            _check_same_history(frame, source, schema, ids, last_t)
        series = np.repeat(np.arange(len(ids)), horizon)
        t = (last_t[:, None] + np.arange(1, horizon + 1)).ravel()
    else:
        series, t = _requested(frame, source, schema, ids)
        step = t - last_t[series]
        bad = (step < 1) | (step > horizon)
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            code, end = series[first], last_t[series[first]]
            raise UserError(
                f"{source_name(source)} asks for period {_date_text(t[first], schema)} of series '{ids[code]}', "
                f"but the model forecasts the {plural(horizon, 'period')} after the training data "
                f"({_date_text(end + 1, schema)} to {_date_text(end + horizon, schema)}); "
                "refit with new data or a longer --horizon to forecast further"
            )
    X = pd.DataFrame({"series": series.astype(np.int64), "t": t.astype(np.int64)})
    return Batch(X=X, ids=pd.Series(ids[series], name="series"), extra={})


def _check_same_history(frame: pd.DataFrame, source: DataSource, schema: Mapping[str, Any], ids: np.ndarray,
                        last_t: np.ndarray) -> None:
    """A history passed to predict must end where the training data ended: the forecasts start there."""
    cols.read_values(frame, schema["target"], source_name(source))  # numbers, as in training
    series, t = _requested(frame, source, schema, ids)
    ends = pd.Series(t).groupby(series).max()
    for code, end in ends.items():
        if end != last_t[code]:
            raise UserError(
                f"{source_name(source)} ends series '{ids[code]}' on {_date_text(int(end), schema)}, but the model was "
                f"trained up to {_date_text(int(last_t[code]), schema)}; refit (automl fit) to forecast from new data"
            )


def _requested(frame: pd.DataFrame, source: DataSource, schema: Mapping[str, Any],
               ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    where = source_name(source)
    date_column = schema["date_column"]
    if date_column not in frame.columns:
        raise UserError(f"{where} has no date column '{date_column}' (columns: {cols.columns_listing(frame)})")
    dates = cols.read_dates(frame, date_column, where, schema.get("date_order"))
    t = calendar.to_periods(dates, schema["period_code"])
    id_column = schema.get("id_column")
    if not id_column:
        return np.zeros(len(t), dtype=np.int64), t
    if id_column not in frame.columns:
        raise UserError(f"{where} has no series id column '{id_column}' (columns: {cols.columns_listing(frame)})")
    keys = frame[id_column].astype(str).to_numpy()
    known = pd.Series(np.arange(len(ids)), index=ids.astype(str))
    codes = known.reindex(keys)
    if codes.isna().any():
        unknown = keys[codes.isna().to_numpy()][0]
        raise UserError(f"series '{unknown}' in column '{id_column}' of {where} was not in the training data")
    return codes.to_numpy(dtype=np.int64), t


def _date_text(t: int, schema: Mapping[str, Any]) -> str:
    return format_dates(np.array([t]), schema)[0]


def format_dates(t: np.ndarray, schema: Mapping[str, Any]) -> list[str]:
    dates = calendar.to_dates(t, schema["period_code"], bool(schema.get("dates_at_start", True)))
    fmt = "%Y-%m-%d %H:%M" if schema.get("frequency") == "hourly" else "%Y-%m-%d"
    return list(dates.strftime(fmt))


def format_predictions(raw: np.ndarray, batch: Batch, schema: Mapping[str, Any]) -> pd.DataFrame:
    """``[id,] date, prediction, lo_80, hi_80, lo_95, hi_95``, one row per series and period."""
    raw = np.asarray(raw, dtype=float)
    out = pd.DataFrame()
    if schema.get("id_column"):
        out[schema["id_column"]] = batch.ids.to_numpy()
    out[schema["date_column"]] = format_dates(batch.X["t"].to_numpy(), schema)
    out["prediction"] = raw[:, 0]
    for index, name in enumerate(OUTPUT_BOUNDS, start=1):
        out[name] = raw[:, index]
    return out


def sample_data(folder: Path) -> tuple[DataSource, dict[str, Any]]:
    """Generated monthly sales of three stores (trend, yearly season, noise), for the conformance kit and the demo."""
    from automl_plugins.forecast.sample import sales_frame

    path = Path(folder) / "sales.csv"
    sales_frame(n_series=3, n_months=60, seed=0).to_csv(path, index=False)
    return path, {"target": "units", "horizon": 6}


WORDS = TaskWords(
    unit="period",
    units="periods",
    predicts="the next periods of {target}",
    target="the series",
    metrics={
        "mase": "error against repeating the last season (MASE)",
        "smape": "percentage error (sMAPE)",
        "rmse": "typical error (RMSE)",
        "wape": "error as a share of the total (WAPE)",
        "coverage_80": "share of actual values inside the 80% interval",
    },
    metric_glosses={
        "mase": "the forecast's average error divided by that of repeating the last season's values: below 1 "
                "beats that simple forecast, lower is better",
        "smape": "the average error as a percentage of the actual and forecast values, from 0 (perfect) to 200",
        "rmse": "root mean squared error, in the series' own units: large misses count more; lower is better",
        "wape": "the total absolute error divided by the total of the actual values: lower is better",
        "coverage_80": "the share of actual values that fell inside the 80% interval: about 0.80 is right",
    },
    glossary={
        "backtest": "the last periods of the history are hidden, forecast by models fitted on the periods before, "
                    "and scored against what happened",
        "seasonal naive": "repeating the values of the last season: the simplest forecast, the baseline to beat",
    },
)


FORECAST = TaskSpec(
    name=NAME,
    detect=detect,
    load=load,
    split=split,
    default_metric=default_metric,
    prepare=prepare,
    format_predictions=format_predictions,
    sample_data=sample_data,
    combination="family_champions",
    needs_input=False,
    fold_models_serve=False,
    description="a dated table (one or many series): forecasts with 80% and 95% intervals",
    options=(
        TaskOption("horizon", "Periods to forecast (default: 12 for monthly data, 14 daily...).", type=int,
                   minimum=1),
        TaskOption("date_column", "The date column (default: detected)."),
        TaskOption("id_column", "The series id column, for many series in long format (default: detected)."),
    ),
    words=WORDS,
    report=section,
)
