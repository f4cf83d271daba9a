"""``--slice-by COLUMN``: the score of the final model for each group of a column.

A model can be good on average and poor for one region, plan or age band. The
groups are scored on the same out-of-sample predictions as the headline
number, and any group more than 5 points below the overall score is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from automl.errors import UserError
from automl.evidence.validation import Validation
from automl.records import RunRecord

FLAG_POINTS = 0.05
MIN_GROUP_ROWS = 20
MAX_GROUPS = 20
NUMERIC_BINS = 4


@dataclass(frozen=True)
class SliceRow:
    group: str
    rows: int
    score: float | None
    flagged: bool
    note: str = ""


def slice_column(manifest: RunRecord, column: str) -> pd.Series:
    """The column's values for the rows the model was trained on, in the same order."""
    from automl.data import fingerprint, read_table

    path = manifest.data.path
    if not path:
        raise UserError("--slice-by needs the run's training data, but the run does not record its path")
    try:
        if fingerprint(path) != manifest.data.fingerprint:
            raise UserError(f"--slice-by: the training data {path} changed since the run; restore the original file")
        frame = read_table(path)
    except FileNotFoundError:
        raise UserError(f"--slice-by needs the training data {path}, which is gone; restore it") from None
    if column not in frame.columns:
        listing = ", ".join(map(str, frame.columns[:30]))
        raise UserError(f"--slice-by: column '{column}' is not in {path}; columns are: {listing}")
    target = manifest.target
    if target in frame.columns:
        frame = frame.loc[frame[target].notna()].reset_index(drop=True)
    if len(frame) != manifest.data.rows:
        raise UserError(f"--slice-by: cannot line up the rows of {path} with the run's data; "
                        f"slices work for tables with one row per example")
    return frame[column]


def groups(values: pd.Series) -> pd.Series:
    """Numbers with many values become quartile bands; the rarest groups fold into 'other'."""
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > MAX_GROUPS:
        edges = np.unique(np.nanquantile(values.to_numpy(dtype=float), np.linspace(0, 1, NUMERIC_BINS + 1)))
        names = [f"{i + 1}. {lo:.4g} to {hi:.4g}" for i, (lo, hi) in enumerate(zip(edges[:-1], edges[1:], strict=True))]
        banded = pd.cut(values, edges, labels=names, include_lowest=True, duplicates="drop")
        return banded.astype(str).where(values.notna(), "(missing)")
    labels = values.astype(str).where(values.notna(), "(missing)")
    top = labels.value_counts().index[:MAX_GROUPS - 1]
    return labels.where(labels.isin(top), "(other)") if labels.nunique() > MAX_GROUPS else labels


def slice_scores(metric: Any, validation: Validation, column: pd.Series) -> tuple[float, list[SliceRow]]:
    labels = groups(column).to_numpy()[validation.index]
    overall = float(metric.fn(validation.y, validation.prediction))
    rows = []
    order = pd.Series(labels).value_counts().index  # largest group first; quartile bands in their own order
    if all(str(g)[:1].isdigit() or g == "(missing)" for g in order):
        order = sorted(order)
    for group in order:
        members = labels == group
        try:
            score = float(metric.fn(validation.y[members], validation.prediction[members]))
        except ValueError:
            rows.append(SliceRow(str(group), int(members.sum()), None, False, "not measurable (one class only)"))
            continue
        enough = members.sum() >= MIN_GROUP_ROWS
        rows.append(SliceRow(str(group), int(members.sum()), score, enough and _worse(metric, score, overall),
                             "" if enough else f"fewer than {MIN_GROUP_ROWS} rows: too few to judge"))
    return overall, rows


def _worse(metric: Any, score: float, overall: float) -> bool:
    """More than 5 points below: absolute on a 0–1 score, relative (5%) on an error."""
    if metric.direction == "maximize" and 0 <= overall <= 1:
        return score < overall - FLAG_POINTS
    if metric.direction == "maximize":
        return score < overall * (1 - FLAG_POINTS)
    return score > overall * (1 + FLAG_POINTS) if overall > 0 else score > overall + FLAG_POINTS


def slice_chart(rows: list[SliceRow], column: str, metric: str) -> Any:
    from automl.report.charts import bar_chart

    measured = [r for r in rows if r.score is not None]
    if not measured:
        return None
    return bar_chart("fairness", f"{metric} by {column}", [f"{r.group} ({r.rows})" for r in measured],
                     [float(r.score) for r in measured], xlabel=metric, value_format="{:.3f}", zoom=True,
                     caption=f"The final model's validation {metric} for each group of '{column}' "
                             "(rows in brackets).")
