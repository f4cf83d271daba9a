"""Checks every task makes on the column it learns to predict.

An infinite target does not fail loudly on its own: one ``inf`` in a
forecast made every model score MASE 0.0 (inf minus inf is not a number, and
the scale absorbed it), and a report said so. So every task refuses it here,
with the column and the data row, before any model sees it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from automl.errors import UserError


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
