"""Columns of dates read the same way by every task, without swapping day and month behind the user's back.

``04/02/2021`` is 4 February in Europe and April 2 in the United States.
pandas reads it month first, value by value, so a column that is 80% ISO and
20% ``dd/mm/yyyy`` came out with some months and days swapped and no word.
Here the order is decided once per column, from the values themselves:

- a value whose first number is above 12 (``13/02/2021``) proves day first,
  one whose second number is above 12 proves month first; dots
  (``04.02.2021``) are day first by convention;
- if the column proves one order, every such value is read that way, and a
  note says so; if it proves both, or neither, it is refused with one line
  asking for ISO dates (2021-02-04), quoting an example.

The order is saved with a model's schema so new data is read the same way.
Unix timestamps (seconds or milliseconds), ``yyyymmdd`` numbers and bare
years are dates too, so that one ``yesterday`` among timestamps is the value
an error quotes, not a valid timestamp beside it.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from automl.errors import UserError

DAY_FIRST = "dayfirst"
MONTH_FIRST = "monthfirst"
_NUMERIC_DAY_MONTH = r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?"
_EPOCH_SECONDS = (1e8, 1e10)  # 1973 to 2286
_EPOCH_MILLISECONDS = (1e11, 1e13)


@dataclass(frozen=True)
class DateOrder:
    """``order`` is DAY_FIRST, MONTH_FIRST or None (no value like 04/02/2021); ``note`` tells the user."""

    order: str | None
    note: str | None = None


def date_order(values: pd.Series, column: str, where: str) -> DateOrder:
    """How to read this column's ``nn/nn/yyyy`` values, or a one-line UserError when the values cannot tell."""
    text = _present_text(values)
    parts = text.str.extract(f"^{_NUMERIC_DAY_MONTH}$")
    numeric = parts[0].notna()
    if not numeric.any():
        return DateOrder(None)
    first, second = parts.loc[numeric, 0].astype(int), parts.loc[numeric, 2].astype(int)
    examples = text[numeric]
    day_proof, month_proof = examples[(first > 12).to_numpy()], examples[(second > 12).to_numpy()]
    if len(day_proof) and len(month_proof):
        raise UserError(
            f"column '{column}' of {where} mixes day/month and month/day dates ({day_proof.iloc[0]!r} and "
            f"{month_proof.iloc[0]!r}); write every date as ISO (YYYY-MM-DD, e.g. 2021-02-04)"
        )
    dotted = bool((parts.loc[numeric, 1] == ".").all())
    if len(day_proof) or dotted:
        order, proof = DAY_FIRST, (day_proof.iloc[0] if len(day_proof) else None)
    elif len(month_proof):
        order, proof = MONTH_FIRST, month_proof.iloc[0]
    elif (first == second).all():  # 01/01/2021, 05/05/2021: either way the same date
        return DateOrder(MONTH_FIRST)
    else:
        ambiguous = examples[(first != second).to_numpy()].iloc[0]
        raise UserError(
            f"column '{column}' of {where} has dates such as {ambiguous!r} that read as day/month or as month/day, "
            "and no value tells which; write them as ISO dates (YYYY-MM-DD, e.g. 2021-02-04)"
        )
    readings = parse_dates(examples, order)
    readable = readings.notna().to_numpy()
    if not readable.any():  # nothing reads as a date: the caller's error quotes the values
        return DateOrder(order)
    telling = readable & (first != second).to_numpy() & (first <= 12).to_numpy() & (second <= 12).to_numpy()
    shown = telling if telling.any() else readable  # an example that the order changes, when there is one
    sample, read = examples[shown].iloc[0], readings[shown].iloc[0]
    how = "day/month/year" if order == DAY_FIRST else "month/day/year"
    why = f" (as {proof!r} shows)" if proof is not None else " (dots are day first)"
    count = int(numeric.sum())
    others = len(text) - count
    beside = f", beside {others:,} written otherwise such as {text[~numeric].iloc[0]!r}" if others else ""
    return DateOrder(order, (
        f"column '{column}' of {where}: {count:,} date{'s' if count != 1 else ''} written like {sample!r} "
        f"{'were' if count != 1 else 'was'} read as {how}{why}, so {sample!r} is {read.day} {read:%B %Y}{beside}"
    ))


def parse_dates(values: pd.Series, order: str | None = None) -> pd.Series:
    """Naive datetimes (UTC when offsets differ), NaT where a value does not parse; never raises.

    ``order`` reads ``nn/nn/yyyy`` values day first or month first (see
    :func:`date_order`); without it pandas' month-first default applies.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.tz_localize(None) if values.dt.tz is not None else values  # local wall time
    text = values.astype("string").str.strip()
    numbers = _numeric_dates(text, pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values))
    if numbers is not None:
        return numbers
    parsed = _parse_text(text, dayfirst=False)
    if order == DAY_FIRST:
        day_month = text.str.fullmatch(_NUMERIC_DAY_MONTH).fillna(False).to_numpy(dtype=bool)
        if day_month.any():
            parsed = parsed.copy()
            parsed[day_month] = _parse_text(text[day_month], dayfirst=True)
    return parsed


def first_unreadable(values: pd.Series, parsed: pd.Series) -> tuple[int, object] | None:
    """``(position, value)`` of the first present value that did not parse, for an error to quote."""
    bad = (values.notna() & parsed.isna()).to_numpy()
    if pd.api.types.is_object_dtype(values) or pd.api.types.is_string_dtype(values):
        bad &= (values.astype("string").str.strip() != "").fillna(False).to_numpy(dtype=bool)
    if not bad.any():
        return None
    position = int(np.flatnonzero(bad)[0])
    return position, values.iloc[position]


def _present_text(values: pd.Series) -> pd.Series:
    text = values.dropna().astype("string").str.strip()
    return text[text != ""]


def _numeric_dates(text: pd.Series, numeric_dtype: bool) -> pd.Series | None:
    """Years, ``yyyymmdd`` or Unix times when most values are whole numbers, else None (parse them as text).

    Values that are not numbers among them stay NaT, so the error names them.
    """
    present = text.dropna()
    present = present[present != ""]
    numbers = pd.to_numeric(text, errors="coerce")
    if present.empty or numbers.notna().sum() < 0.5 * len(present):
        return None
    whole = numbers.dropna()
    if not np.all(whole == np.round(whole)):
        return _nat(text) if numeric_dtype else None
    digits = text[numbers.notna()].str.lstrip("+")
    if digits.str.fullmatch(r"\d{4}").all():
        return pd.to_datetime(text.where(numbers.notna()), format="%Y", errors="coerce")
    if digits.str.fullmatch(r"\d{8}").all():
        return pd.to_datetime(text.where(numbers.notna()), format="%Y%m%d", errors="coerce")
    for unit, (low, high) in (("s", _EPOCH_SECONDS), ("ms", _EPOCH_MILLISECONDS)):
        if ((whole.abs() >= low) & (whole.abs() < high)).all():
            return pd.to_datetime(numbers, unit=unit, errors="coerce")
    return _nat(text)


def _nat(text: pd.Series) -> pd.Series:
    return pd.Series(pd.NaT, index=text.index, dtype="datetime64[ns]")


def _parse_text(text: pd.Series, dayfirst: bool) -> pd.Series:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "could not infer format": mixed formats are parsed value by value
        try:
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=dayfirst)
        except ValueError:  # mixed UTC offsets (daylight saving): compare in UTC
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=dayfirst, utc=True)
        if not pd.api.types.is_datetime64_any_dtype(parsed):  # pandas 2 returns mixed offsets as objects
            parsed = pd.to_datetime(text, errors="coerce", format="mixed", dayfirst=dayfirst, utc=True)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_convert(None)
    return parsed
