"""The target column: found, checked, typed (binary, multiclass or regression) and encoded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import UserError, columns_listing, nested_kind, refuse_non_finite
from automl_plugins.tabular.problem_type import MAX_CLASSES_FOR_INTEGERS, Request, choose_kind, infer_kind

MIN_ROWS = 20
__all__ = ["MAX_CLASSES_FOR_INTEGERS", "Target", "analyse_target", "encode_classes", "infer_kind"]


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    classes: list[Any] | None
    y: np.ndarray
    keep: np.ndarray  # boolean mask of rows whose target is present
    note: str | None = None  # why the kind was chosen, when another was possible


def analyse_target(frame: pd.DataFrame, name: str | None, where: str, kind: str | None = None,
                   request: Request | None = None) -> Target:
    """The target column checked and encoded; its kind is ``kind`` if given (the text task knows it), else
    chosen from the values and the user's ``request`` (see :mod:`automl_plugins.tabular.problem_type`)."""
    name = None if name is None else str(name).strip()  # column names are text, as read_table makes them
    if not name:
        raise UserError(f"no target given for {where}; pass --target COLUMN (columns: {columns_listing(frame)})")
    if name not in frame.columns:
        raise UserError(f"column '{name}' not found in {where}; columns are: {columns_listing(frame)}")
    column = frame[name]
    nested = nested_kind(column)
    if nested is not None:
        raise UserError(f"target '{name}' in {where} holds nested values ({nested} per cell); the target must be "
                        "one plain value (a class or a number) per row")
    keep = column.notna().to_numpy()
    values = column[keep]
    if values.empty:
        raise UserError(f"target '{name}' in {where} is empty (all values missing); choose another column")
    refuse_non_finite(values, name, where)  # a column of numbers: classes or values, never inf
    if values.nunique() < 2:
        raise UserError(
            f"target '{name}' in {where} is constant (only {_plain(values.iloc[0])!r}); "
            "there is nothing to predict: choose another column"
        )
    note = None
    if kind is None:
        kind, note = choose_kind(values, name, request or Request())
    if kind == "regression":
        numeric = pd.to_numeric(values, errors="coerce")
        if numeric.isna().any():
            bad = _plain(values[numeric.isna()].iloc[0])
            raise UserError(f"target '{name}' has non-numeric value {bad!r}; regression needs numbers")
        refuse_non_finite(values, name, where, numeric_only=False)  # text such as "inf" or "-Infinity" too
        y, classes = numeric.to_numpy(dtype=float), None
    else:
        y, classes = encode_classes(values, name)
    if len(y) < MIN_ROWS:
        raise UserError(
            f"{where} has only {len(y)} rows with a target; the validation needs at least {MIN_ROWS}"
        )
    return Target(name, kind, classes, y, keep, note)


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
