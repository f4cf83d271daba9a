"""Infers what each column of a table is, and records it as a JSON schema.

The schema is the contract between training and prediction: the same rules
turn raw columns into model features both times, and a column the model needs
but a new file lacks is named in the error.

The tabular task types its features with it; other tasks reading a table use
:func:`describe_column` to recognise a column (the text task finds the id
column it writes beside predictions), so the rules live once, in the core.
"""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np
import pandas as pd

from automl.data.dates import DateOrder, date_order, parse_dates
from automl.data.tables import nested_kind
from automl.errors import UserError

RARE = "__rare__"
MAX_LEVELS = 200
_TRUE = {"true", "yes", "y", "t", "1"}
_FALSE = {"false", "no", "n", "f", "0"}
_ID_NAME = re.compile(r"(^|[_\s.-])(id|uuid|guid|key)$|^id[_\s.-]|^(id|uuid|guid)$", re.IGNORECASE)
_DATE_LIKE = re.compile(r"\d{1,4}[-/.:]\d{1,2}")


FREE_TEXT = "free text (ignored as a feature)"  # a task that reads text adds its own hint to this note


def infer_columns(
    frame: pd.DataFrame, where: str = "the table"
) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """``(kept, dropped)``: a description of each kept column, and why others were dropped.

    A date column's description may carry a ``note`` (how ``04/02/2021`` was
    read) for the loader to pass on and remove; its ``order`` stays in the
    schema, so new data is read the same way.
    """
    kept: dict[str, dict[str, Any]] = {}
    dropped: dict[str, str] = {}
    n = len(frame)
    for name in frame.columns:
        column = frame[name]
        described = describe_column(name, column, n, where)
        if "drop" in described:
            dropped[name] = described["drop"]
        else:
            kept[name] = described
    return kept, dropped


def describe_column(name: str, column: pd.Series, n_rows: int, where: str | None = None) -> dict[str, Any]:
    """How the column is typed, or why it is dropped (``"drop"``).

    With ``where`` (a task typing its features) dates whose day and month
    cannot be told apart are a UserError; without it (another task looking
    for an id column) they are read month first, as pandas does.
    """
    nested = nested_kind(column)
    if nested is not None:  # like free text: left out with a note, the rest of the table still trains
        return {"drop": f"nested values ({nested} per cell), which a model of table columns cannot use; flatten "
                        "them into plain columns to use them"}
    values = column.dropna()
    if values.empty:
        return {"drop": "all values are missing"}
    if values.nunique() <= 1:
        return {"drop": "constant (one value)"}
    if pd.api.types.is_bool_dtype(column):
        return {"type": "boolean"}
    if pd.api.types.is_numeric_dtype(column):
        if _looks_like_numeric_id(name, values, n_rows):
            return {"drop": "id-like (a unique number per row)", "id": True}
        return {"type": "numeric"}
    if pd.api.types.is_datetime64_any_dtype(column):
        return _datetime_description(pd.to_datetime(values))
    text = values.astype(str).str.strip()
    numeric = pd.to_numeric(text, errors="coerce")
    if numeric.notna().mean() >= 0.98:
        return {"type": "numeric"}
    lowered = set(text.str.lower().unique())
    if len(lowered) == 2 and lowered <= (_TRUE | _FALSE) and lowered & _TRUE and lowered & _FALSE:
        return {"type": "boolean"}
    if _looks_like_dates(text):
        try:
            reading = date_order(text, str(name), where or "the table")
        except UserError:
            if where is not None:
                raise
            reading = DateOrder(None)
        described = _datetime_description(parse_dates(text, reading.order))
        if reading.order:
            described["order"] = reading.order
        if reading.note:
            described["note"] = reading.note
        return described
    unique_ratio = text.nunique() / len(text)
    if _looks_like_free_text(text, unique_ratio):
        return {"drop": FREE_TEXT, "text": True}
    if unique_ratio >= 0.95 and len(text) >= 20:
        return {"drop": "id-like (a unique value per row)", "id": True}
    return _categorical_description(text, n_rows)


def _looks_like_numeric_id(name: str, values: pd.Series, n_rows: int) -> bool:
    if n_rows < 20 or not pd.api.types.is_integer_dtype(values) or values.nunique() < 0.99 * n_rows:
        return False
    if _ID_NAME.search(str(name)):
        return True
    ordered = np.sort(values.to_numpy())
    return bool(np.all(np.diff(ordered) == 1))


def _looks_like_dates(text: pd.Series) -> bool:
    sample = text.head(500)
    if not sample.str.contains(_DATE_LIKE).mean() >= 0.9:
        return False
    return parse_dates(sample).notna().mean() >= 0.9


def _datetime_description(parsed: pd.Series) -> dict[str, Any]:
    parts = ["year", "month", "day", "day_of_week", "day_of_year"]
    parsed = parsed.dropna()
    if len(parsed) and (parsed.dt.hour != 0).any():
        parts.append("hour")
    return {"type": "datetime", "parts": parts}


def _looks_like_free_text(text: pd.Series, unique_ratio: float) -> bool:
    sample = text.head(2000)
    return sample.str.len().mean() >= 30 and sample.str.split().str.len().mean() >= 4 and unique_ratio > 0.3


def _categorical_description(text: pd.Series, n_rows: int) -> dict[str, Any]:
    counts = text.value_counts()
    min_count = max(3, math.ceil(0.001 * n_rows))
    common = counts[counts >= min_count].index.tolist()[:MAX_LEVELS]
    levels = sorted(map(str, common))
    if len(common) < len(counts):
        levels.append(RARE)
    return {"type": "categorical", "levels": levels}


# -- applying a schema --------------------------------------------------------
# a column is typed numeric when 98% of its values read as numbers, a date when 90% parse: a new file
# with more unreadable values than that does not match the schema (the column holds something else).
# An unseen category or yes/no value is not an error: it becomes missing, as a rare level would.
UNREADABLE_SHARE = {"numeric": 0.02, "datetime": 0.1}


def check_values(frame: pd.DataFrame, columns: dict[str, dict[str, Any]], where: str) -> None:
    """A UserError naming the first column whose values do not fit the type it had in training."""
    for name, spec in columns.items():
        kind = spec["type"]
        if kind not in UNREADABLE_SHARE:
            continue
        column = frame[name]
        present = column.notna().to_numpy()
        if not present.any() or (kind == "numeric" and pd.api.types.is_numeric_dtype(column)):
            continue
        if kind == "datetime" and pd.api.types.is_datetime64_any_dtype(column):
            continue
        if kind == "numeric":
            readable = pd.to_numeric(column, errors="coerce").notna().to_numpy()
        else:
            readable = parse_dates(column.astype("string"), spec.get("order")).notna().to_numpy()
        bad = present & ~readable
        if bad.sum() > UNREADABLE_SHARE[kind] * present.sum():
            row = int(np.flatnonzero(bad)[0])
            what = {"numeric": "numbers", "datetime": "dates"}[kind]
            raise UserError(
                f"column '{name}' of {where} should hold {what}, as it did in training, but {bad.sum()} of its "
                f"values do not, e.g. {column.iloc[row]!r} in data row {row + 1}; fix those values or the column"
            )


def to_features(frame: pd.DataFrame, columns: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Model features from raw columns, by the rules recorded at training time."""
    out: dict[str, pd.Series] = {}
    for name, spec in columns.items():
        column = frame[name]
        kind = spec["type"]
        if kind == "numeric":
            values = pd.to_numeric(column, errors="coerce").astype(float)
            out[name] = values.mask(np.isinf(values))  # inf (from a division, "Infinity") is missing
        elif kind == "boolean":
            out[name] = _to_bool(column)
        elif kind == "datetime":
            parsed = parse_dates(column, spec.get("order"))
            for part in spec["parts"]:
                out[f"{name}__{part}"] = getattr(parsed.dt, part).astype(float)
        else:
            out[name] = _to_category(column, spec["levels"])
    return pd.DataFrame(out, index=frame.index)


def _to_bool(column: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float)
    lowered = column.astype("string").str.strip().str.lower()
    return lowered.map(lambda v: 1.0 if v in _TRUE else 0.0 if v in _FALSE else np.nan).astype(float)


def _to_category(column: pd.Series, levels: list[str]) -> pd.Series:
    text = _as_text(column).str.strip()
    known = set(levels)
    if RARE in known:
        text = text.where(text.isna() | text.isin(known), RARE)
    text = text.where(text.isin(known))  # a level unseen in training is missing, not an error
    return pd.Series(pd.Categorical(text, categories=levels), index=column.index)


def _as_text(column: pd.Series) -> pd.Series:
    """Text as it was at training time: codes read as floats (``10.0``, with gaps) become ``10`` again."""
    if pd.api.types.is_float_dtype(column):
        values = column.to_numpy(dtype=float)
        present = values[~np.isnan(values)]
        if np.all(present % 1 == 0) and np.all(np.abs(present) < 2**53):
            return column.astype("Int64").astype("string")
    return column.astype("string")
