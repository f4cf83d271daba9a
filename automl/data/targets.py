"""Checks every task makes on the column it learns to predict, and a classifier's or regressor's target read.

An infinite target does not fail loudly on its own: one ``inf`` in a
forecast made every model score MASE 0.0 (inf minus inf is not a number, and
the scale absorbed it), and a report said so. So every task refuses it here,
with the column and the data row, before any model sees it.

:func:`analyse_target` is the whole reading of a class or value column
(found, not nested, not constant, finite, encoded), shared by the tasks that
predict one column of a table (tabular, text): each says only how the kind
is chosen.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.data.tables import columns_listing, nested_kind
from automl.errors import UserError

MIN_ROWS = 20
KindChooser = Callable[[pd.Series, str], tuple[str, str | None]]  # (present values, column) -> (kind, note)


@dataclass(frozen=True)
class Target:
    name: str
    kind: str
    classes: list[Any] | None
    y: np.ndarray
    keep: np.ndarray  # boolean mask of rows whose target is present
    note: str | None = None  # why the kind was chosen, when another was possible


def analyse_target(frame: pd.DataFrame, name: str | None, where: str, kind: str | KindChooser) -> Target:
    """The target column checked and encoded.

    ``kind`` is the problem type (``binary``, ``multiclass`` or
    ``regression``) when the task knows it (the text task), or a function
    choosing it from the present values and the column's name, with a note when
    another reading was possible (the tabular task's ``--problem-type`` rules).
    """
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
    if callable(kind):
        kind, note = kind(values, name)
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
    """Class indices of ``values`` and the sorted classes, refusing a class with a single row."""
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


def refuse_non_finite(
    values: pd.Series, column: str, where: str, *, numeric_only: bool = True, role: str = "target"
) -> None:
    """A UserError naming ``column`` and the first data row (1 = the first row after the header) holding ±inf.

    ``values`` keeps the frame's index (0-based data-row positions). Text
    labels are left alone when ``numeric_only``: ``"inf"`` may be a class name
    in a column of words, but not in a column of numbers.
    """
    if numeric_only and not pd.api.types.is_numeric_dtype(values.dtype):
        return
    if pd.api.types.is_bool_dtype(values.dtype):
        return
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    infinite = np.isinf(numbers)
    if infinite.any():
        first = int(np.flatnonzero(infinite)[0])
        row = _data_row(values.index[first], first)
        more = f" (and {int(infinite.sum()) - 1:,} more)" if infinite.sum() > 1 else ""
        raise UserError(
            f"{role} column '{column}' of {where} has an infinite value ({values.iloc[first]!r}) in data row "
            f"{row}{more}; use finite numbers: fix or remove those rows"
        )


def _data_row(label: object, position: int) -> int:
    return int(label) + 1 if isinstance(label, int | np.integer) else position + 1
