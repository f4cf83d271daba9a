"""The target column: found, checked, typed (binary, multiclass or regression) and encoded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.errors import UserError

MAX_CLASSES_FOR_INTEGERS = 20
MIN_ROWS = 20


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    classes: list[Any] | None
    y: np.ndarray
    keep: np.ndarray  # boolean mask of rows whose target is present


def columns_listing(frame: pd.DataFrame, limit: int = 30) -> str:
    names = [str(c) for c in frame.columns]
    shown = ", ".join(names[:limit])
    return shown + (f", ... ({len(names)} in all)" if len(names) > limit else "")


def analyse_target(frame: pd.DataFrame, name: str | None, where: str, kind: str | None = None) -> Target:
    name = None if name is None else str(name).strip()  # column names are text, as read_table makes them
    if not name:
        raise UserError(f"no target given for {where}; pass --target COLUMN (columns: {columns_listing(frame)})")
    if name not in frame.columns:
        raise UserError(f"column '{name}' not found in {where}; columns are: {columns_listing(frame)}")
    column = frame[name]
    keep = column.notna().to_numpy()
    values = column[keep]
    if values.empty:
        raise UserError(f"target '{name}' in {where} is empty (all values missing); choose another column")
    if values.nunique() < 2:
        raise UserError(
            f"target '{name}' in {where} is constant (only {_plain(values.iloc[0])!r}); "
            "there is nothing to predict: choose another column"
        )
    kind = kind or infer_kind(values)
    if kind == "regression":
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            bad = _plain(values[numeric.isna()].iloc[0])
            raise UserError(f"target '{name}' has non-numeric value {bad!r}; regression needs numbers")
        infinite = ~np.isfinite(numeric.to_numpy(dtype=float))
        if infinite.any():
            bad = _plain(values[infinite].iloc[0])
            raise UserError(
                f"target '{name}' in {where} has an infinite value ({bad!r}); regression needs finite numbers: "
                "fix or remove those rows"
            )
        y, classes = numeric.to_numpy(dtype=float), None
    else:
        y, classes = encode_classes(values, name)
    if len(y) < MIN_ROWS:
        raise UserError(
            f"{where} has only {len(y)} rows with a target; the validation needs at least {MIN_ROWS}"
        )
    return Target(name, kind, classes, y, keep)


def infer_kind(values: pd.Series) -> str:
    n_classes = values.nunique()
    if n_classes == 2:
        return "binary"
    if not pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
        return "multiclass"
    with np.errstate(invalid="ignore"):  # an infinite value is not integral (and is refused later)
        integral = np.allclose(values.to_numpy(dtype=float) % 1, 0)
    if integral and n_classes <= MAX_CLASSES_FOR_INTEGERS and n_classes <= max(3, 0.1 * len(values)):
        return "multiclass"
    return "regression"


def encode_classes(values: pd.Series, name: str) -> tuple[np.ndarray, list[Any]]:
    counts = values.value_counts()
    lonely = counts[counts < 2]
    if len(lonely):
        raise UserError(
            f"class {_plain(lonely.index[0])!r} of target '{name}' has only one row; each class needs "
            "at least 2 rows for validation: remove that row or add more data"
        )
    classes = sorted(counts.index.tolist(), key=lambda v: (str(type(v)), v))
    classes = [_plain(c) for c in classes]
    lookup = {c: i for i, c in enumerate(classes)}
    return values.map(lookup).to_numpy(dtype=int), classes


def _plain(value: Any) -> Any:
    """A Python scalar for a NumPy one, so messages and JSON show ``1``, not ``np.int64(1)``."""
    return value.item() if isinstance(value, np.generic) else value
