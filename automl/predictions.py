"""The classification columns of a prediction file, the same for every task.

docs/architecture.md's output contract: ``prediction`` (the most probable class)
then ``proba_<class>`` for each class, after whatever identifies the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd


def add_class_columns(frame: pd.DataFrame, proba: np.ndarray, classes: Sequence[Any]) -> pd.DataFrame:
    """Append ``prediction`` and ``proba_<class>``; rows whose probabilities are NaN get no label."""
    proba = np.asarray(proba, dtype=float)
    known = ~np.isnan(proba).any(axis=1)
    labels = np.full(len(proba), None, dtype=object)
    labels[known] = [classes[i] for i in np.argmax(proba[known], axis=1)]
    frame["prediction"] = labels
    for index, label in enumerate(classes):
        frame[f"proba_{label}"] = proba[:, index]
    return frame
