"""Which columns hold the date, the value and the series id, and reading them with errors that name them."""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.errors import UserError
from automl_plugins.tabular.target import columns_listing

DATE_NAMES = re.compile(r"(^|_)(date|day|time|timestamp|datetime|ds|month|week|period|year|quarter)s?($|_)", re.I)
ID_NAMES = re.compile(r"(^|_)(id|series|sku|store|item|product|unique_id|key|region|name)($|_)", re.I)
PARSED_SHARE = 0.95  # a column is a date column when this share of its values parse as dates


@dataclass(frozen=True)
class Columns:
    date: str
    target: str
    series: str | None
    ignored: tuple[str, ...]


def parse_dates(values: pd.Series) -> pd.Series:
    """Datetimes (NaT where a value does not parse); whole numbers named like years are years."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.to_datetime(values).dt.tz_localize(None) if values.dt.tz is not None else values
    text = values.astype("string").str.strip()
    if text.str.fullmatch(r"\d{4}").fillna(False).all():
        return pd.to_datetime(text, format="%Y", errors="coerce")
    if pd.api.types.is_numeric_dtype(values):
        return pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": mixed formats are parsed value by value
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed")
        except ValueError:  # mixed UTC offsets (daylight saving): compare in UTC
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
        if not pd.api.types.is_datetime64_any_dtype(parsed):  # pandas 2 returns mixed offsets as objects
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed


def date_share(values: pd.Series) -> float:
    present = values.dropna()
    if present.empty:
        return 0.0
    return float(parse_dates(present).notna().mean())


def find_date_column(frame: pd.DataFrame, options: Mapping[str, Any], where: str) -> str:
    given = options.get("date_column")
    if given:
        if given not in frame.columns:
            raise UserError(f"--date-col '{given}' is not a column of {where} (columns: {columns_listing(frame)})")
        return str(given)
    named = [c for c in frame.columns if DATE_NAMES.search(str(c))]
    for column in named + [c for c in frame.columns if c not in named]:
        plausible = not pd.api.types.is_numeric_dtype(frame[column]) or DATE_NAMES.search(str(column))
        if plausible and date_share(frame[column]) >= PARSED_SHARE:
            return str(column)
    raise UserError(
        f"no date column found in {where} (columns: {columns_listing(frame)}); a forecast needs a column of dates "
        "such as 2024-01-31: name it with --date-col"
    )


def find_columns(frame: pd.DataFrame, options: Mapping[str, Any], where: str) -> Columns:
    date = find_date_column(frame, options, where)
    target = options.get("target")
    series = options.get("id_column")
    if series and series not in frame.columns:
        raise UserError(f"--id-col '{series}' is not a column of {where} (columns: {columns_listing(frame)})")
    if target:
        if target not in frame.columns:
            raise UserError(f"target column '{target}' is not in {where} (columns: {columns_listing(frame)})")
    else:
        numeric = [c for c in frame.columns if c not in (date, series) and pd.api.types.is_numeric_dtype(frame[c])]
        if len(numeric) != 1:
            raise UserError(
                f"which column of {where} should be forecast? Give it with --target (columns: {columns_listing(frame)})"
            )
        target = numeric[0]
    if target == date:
        raise UserError(f"the target '{target}' is the date column; give the column of values with --target")
    if not series:
        series = detect_series_column(frame, date, str(target))
    ignored = tuple(str(c) for c in frame.columns if c not in (date, target, series))
    return Columns(date=date, target=str(target), series=series, ignored=ignored)


def detect_series_column(frame: pd.DataFrame, date: str, target: str) -> str | None:
    """A column that makes (id, date) unique when the date alone repeats: long format with many series."""
    if not frame[date].duplicated().any():
        return None
    candidates = [c for c in frame.columns if c not in (date, target) and frame[c].nunique() < len(frame)]
    candidates.sort(key=lambda c: (not ID_NAMES.search(str(c)), pd.api.types.is_float_dtype(frame[c])))
    for column in candidates:
        if not frame.duplicated([column, date]).any():
            return str(column)
    return None


def read_values(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:3])
        example = frame[column][bad].iloc[0]
        raise UserError(
            f"column '{column}' of {where} must hold numbers to forecast, but line {rows} has {example!r}; "
            "fix those values or pick another column with --target"
        )
    return values.to_numpy(dtype=float)


def read_dates(frame: pd.DataFrame, column: str, where: str) -> pd.Series:
    dates = parse_dates(frame[column])
    bad = dates.isna()
    if bad.any():
        lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:3])
        example = frame[column][bad].iloc[0]
        raise UserError(
            f"column '{column}' of {where} has values that are not dates, e.g. {example!r} on line {lines}; "
            "write them as YYYY-MM-DD (or YYYY-MM for months), or drop those rows"
        )
    return dates
