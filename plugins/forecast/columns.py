"""Which columns hold the date, the value and the series id, and reading them with errors that name them."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import UserError, columns_listing, date_order, first_unreadable, parse_dates, refuse_non_finite

DATE_NAMES = re.compile(r"(^|_)(date|day|time|timestamp|datetime|ds|month|week|period|year|quarter)s?($|_)", re.I)
ID_NAMES = re.compile(r"(^|_)(id|series|sku|store|item|product|unique_id|key|region|name)($|_)", re.I)
PARSED_SHARE = 0.95  # a column is a date column when this share of its values parse as dates


__all__ = ["Columns", "date_order", "date_share", "find_columns", "parse_dates", "read_dates", "read_values"]


@dataclass(frozen=True)
class Columns:
    date: str
    target: str
    series: str | None
    ignored: tuple[str, ...]


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
    frame = _plain_columns(frame, options, where)
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


def _plain_columns(frame: pd.DataFrame, options: Mapping[str, Any], where: str) -> pd.DataFrame:
    """The frame without columns of nested values (Parquet lists, structs, maps), which no role can take;
    naming one as the date, target or id is one error line."""
    from automl.kit import nested_kind

    nested = {str(c): kind for c in frame.columns if (kind := nested_kind(frame[c])) is not None}
    for option, flag in (("date_column", "--date-col"), ("target", "--target"), ("id_column", "--id-col")):
        name = options.get(option)
        if name in nested:
            raise UserError(f"{flag} '{name}' of {where} holds nested values ({nested[name]} per cell); "
                            "it needs one plain value per row")
    return frame.drop(columns=list(nested)) if nested else frame


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
    """The target as floats (NaN where missing, filled later); text, infinities and an empty column are refused."""
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(bad.to_numpy())[:3])
        example = frame[column][bad].iloc[0]
        raise UserError(
            f"column '{column}' of {where} must hold numbers to forecast, but line {rows} has {example!r}; "
            "fix those values or pick another column with --target"
        )
    refuse_non_finite(frame[column], column, where, numeric_only=False)
    if values.isna().all():
        raise UserError(f"column '{column}' of {where} has no values (every one is missing); there is nothing to "
                        "forecast: pick the column of values with --target")
    return values.to_numpy(dtype=float)


def read_dates(frame: pd.DataFrame, column: str, where: str, order: str | None = None) -> pd.Series:
    """Dates read day first or month first as ``order`` says (decided from the column when None)."""
    values = frame[column]
    if order is None:
        order = date_order(values, column, where).order
    dates = parse_dates(values, order)
    bad = dates.isna().to_numpy()
    if bad.any():
        unreadable = first_unreadable(values, dates)
        if unreadable is None:
            lines = ", ".join(str(i + 2) for i in np.flatnonzero(bad)[:3])
            raise UserError(f"column '{column}' of {where} has {int(bad.sum()):,} missing dates (line {lines}); "
                            "fill them in or drop those rows")
        position, example = unreadable
        raise UserError(
            f"column '{column}' of {where} has values that are not dates, e.g. {example!r} on line {position + 2}; "
            "write them as YYYY-MM-DD (or YYYY-MM for months), or drop those rows"
        )
    return dates
