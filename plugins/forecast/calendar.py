"""Dates to period numbers and back: the frequency, its season length, and the calendar features.

A series is stored as integers ``t`` (pandas ``Period`` ordinals at the
inferred frequency), so "the next 12 months" is ``t + 1 .. t + 12`` whatever
the calendar, and a gap is a missing integer.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from automl.kit import UserError


@dataclass(frozen=True)
class Frequency:
    name: str  # what the user reads: daily, monthly, ...
    period: str  # the pandas Period frequency
    season_length: int  # the main seasonal cycle, in periods
    min_days: float  # the typical spacing between observations, in days
    max_days: float


FREQUENCIES = (
    Frequency("hourly", "h", 24, 1 / 24 - 1e-6, 1 / 24 + 1e-6),
    Frequency("daily", "D", 7, 1.0, 1.0),
    Frequency("weekly", "W", 52, 7.0, 7.0),
    Frequency("monthly", "M", 12, 28.0, 31.0),
    Frequency("quarterly", "Q", 4, 89.0, 92.0),
    Frequency("yearly", "Y", 1, 365.0, 366.0),
)


def infer_frequency(dates: pd.Series, series: pd.Series | None, column: str) -> Frequency:
    """The frequency whose spacing matches the most common gap between consecutive dates of a series."""
    frame = pd.DataFrame({"date": dates.to_numpy(), "series": 0 if series is None else series.to_numpy()})
    frame = frame.sort_values(["series", "date"])
    gaps = frame.groupby("series")["date"].diff().dropna().dt.total_seconds() / 86400.0
    gaps = gaps[gaps > 0]
    if gaps.empty:
        raise UserError(f"column '{column}' has fewer than two distinct dates per series: a forecast needs a history")
    typical = float(gaps.round(6).mode().iloc[0])
    for frequency in FREQUENCIES:
        if frequency.min_days <= typical <= frequency.max_days:
            return frequency
    raise UserError(
        f"the dates in column '{column}' are {typical:g} days apart most often, which is not an hourly, daily, "
        "weekly, monthly, quarterly or yearly spacing; resample the data to one of those first"
    )


def period_code(frequency: Frequency, dates: pd.Series) -> str:
    """The pandas frequency; a week ends on the weekday of the first date, so each date ends its own week."""
    if frequency.period != "W":
        return frequency.period
    return f"W-{pd.Timestamp(dates.min()).day_name()[:3].upper()}"


def to_periods(dates: pd.Series, code: str) -> np.ndarray:
    return np.asarray(pd.PeriodIndex(dates, freq=code).asi8, dtype=np.int64)


def dates_at_start(dates: pd.Series, code: str) -> bool:
    """Whether the data dates each period by its first day (2024-01-01 for January) rather than its last."""
    periods = pd.PeriodIndex(dates, freq=code)
    return bool((periods.start_time == pd.DatetimeIndex(dates)).all())


def to_dates(ordinals: np.ndarray, code: str, at_start: bool) -> pd.DatetimeIndex:
    periods = pd.PeriodIndex.from_ordinals(np.asarray(ordinals, dtype=np.int64), freq=code)
    return periods.start_time if at_start else periods.end_time.normalize()


def calendar_features(ordinals: np.ndarray, code: str) -> np.ndarray:
    """Position in the year (month, quarter, day of year), week and day: what repeats in a calendar."""
    periods = pd.PeriodIndex.from_ordinals(np.asarray(ordinals, dtype=np.int64), freq=code)
    columns = [periods.month, periods.quarter]
    if code in {"D", "h"}:
        columns += [periods.dayofweek, periods.dayofyear, periods.day]
    if code == "h":
        columns.append(periods.hour)
    return np.column_stack([np.asarray(c, dtype=float) for c in columns])
