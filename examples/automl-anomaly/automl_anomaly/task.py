"""The anomaly task: a table whose label column marks the known anomalies in, an anomaly score per row out.

The labels (``is_fraud``: 0 or 1) only judge the detectors: each detector
learns what the rows labelled normal look like and scores every row by how
unusual it is, and the search keeps the detector whose scores put the known
anomalies first (average precision). The ``contamination`` option, the
expected share of anomalies, sets where a score becomes a flag.

Every function below is one field of the TaskSpec at the end of the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from automl.kit import (
    Batch,
    Dataset,
    DataSource,
    Fold,
    TaskOption,
    TaskSpec,
    TaskWords,
    UserError,
    read_table,
    source_name,
)

NAME = "anomaly"
KIND = "detection"  # the report's header reads "anomaly · detection"
LABEL_NAMES = ("is_anomaly", "anomaly", "is_fraud", "fraud", "is_outlier", "outlier")
MIN_ANOMALIES = 2
MAX_CONTAMINATION = 0.5
SMALL_DATA_ROWS = 5000
CV_FOLDS = 5
HOLDOUT_SHARE = 0.25
SAMPLE_ROWS = 400
_TRUE = {"1", "1.0", "true", "yes", "y", "t"}
_FALSE = {"0", "0.0", "false", "no", "n", "f"}

CONTAMINATION = TaskOption(
    "contamination",
    "The expected share of anomalies, from 0 to 0.5: rows scoring above that share of the training rows are "
    "flagged (default: the share of rows labelled anomalous; 0 flags none). Also a prediction option.",
    type=float,
    minimum=0.0,
    maximum=MAX_CONTAMINATION,
    at_predict=True,
)


def detect(source: DataSource, options: Mapping[str, Any]) -> float:
    """Never claimed on its own: a labelled table is also a classification problem for the tabular task.
    Choose it with ``--task anomaly`` or a preset whose task is ``anomaly``."""
    return 0.0


def load(source: DataSource, options: Mapping[str, Any]) -> Dataset:
    where = source_name(source)
    notes: list[str] = []
    frame = read_table(source, notes)
    label = _label_column(frame, options.get("target"), where)
    y = _labels(frame[label], label, where)
    n_anomalies = int(y.sum())
    if n_anomalies < MIN_ANOMALIES:
        raise UserError(f"column '{label}' of {where} marks {n_anomalies} anomal{'y' if n_anomalies == 1 else 'ies'}; "
                        f"the {NAME} task needs at least {MIN_ANOMALIES} known anomalies to judge its detectors")
    if n_anomalies > MAX_CONTAMINATION * len(y):
        raise UserError(f"column '{label}' of {where} marks {n_anomalies / len(y):.0%} of the rows as anomalies; "
                        "anomalies are the rare rows (is 1 the anomaly?) - for two common classes use --task tabular")
    contamination = check_contamination(options.get("contamination"), default=n_anomalies / len(y))
    features, id_column, dropped = _columns(frame.drop(columns=[label]), where)
    notes += [f"dropped column '{column}': {why}" for column, why in dropped.items()]
    values = frame[features].to_numpy(dtype=float)
    medians = np.nanmedian(values, axis=0)
    scales = np.array([_spread(values[:, i]) for i in range(values.shape[1])])
    schema = {
        "target": label,
        "features": features,
        "medians": medians.tolist(),
        "scales": scales.tolist(),
        "id_column": id_column,
        "contamination": contamination,
    }
    info = {"n_rows": len(y), "n_features": len(features), "n_anomalies": n_anomalies,
            "anomaly_share": n_anomalies / len(y), "contamination": contamination}
    return Dataset(task=NAME, kind=KIND, X=_scaled(frame, schema), y=y, schema=schema,
                   ids=frame[id_column] if id_column else None, notes=notes, info=info)


def check_contamination(value: Any, default: float) -> float:
    """The share to flag (its range is declared and checked by automl); the default, the labelled share, too."""
    share = default if value is None else float(value)
    if share > MAX_CONTAMINATION:
        raise UserError(f"the labelled anomalies are {share:.0%} of the rows; this task is for rare anomalies "
                        f"(at most {MAX_CONTAMINATION:.0%}): use the tabular task for a classification")
    return share


def _label_column(frame: pd.DataFrame, target: str | None, where: str) -> str:
    if target:
        if target not in frame.columns:
            raise UserError(f"column '{target}' not found in {where}; columns are: {', '.join(frame.columns)}")
        return target
    known = [column for column in frame.columns if column.lower() in LABEL_NAMES]
    if len(known) == 1:
        return known[0]
    raise UserError(f"name the column of {where} that marks the known anomalies (0 or 1) with --target COLUMN"
                    + (f"; several could be it: {', '.join(known)}" if known else ""))


def _labels(column: pd.Series, label: str, where: str) -> np.ndarray:
    if column.isna().any():
        raise UserError(f"column '{label}' of {where} has {int(column.isna().sum())} missing labels; "
                        "mark every row 0 (normal) or 1 (anomaly)")
    text = column.astype(str).str.strip().str.lower()
    unknown = sorted(set(text) - _TRUE - _FALSE)
    if unknown:
        raise UserError(f"column '{label}' of {where} must mark anomalies with 1 and normal rows with 0 "
                        f"(or yes/no, true/false), not {', '.join(repr(v) for v in unknown[:3])}")
    return text.isin(_TRUE).to_numpy(dtype=np.int64)


def _columns(frame: pd.DataFrame, where: str) -> tuple[list[str], str | None, dict[str, str]]:
    """The numeric feature columns, an id column (kept beside the predictions) and the dropped ones, why."""
    features, dropped, id_column = [], {}, None
    for column in frame.columns:
        values = frame[column]
        named_id = column.lower() == "id" or column.lower().endswith("_id")
        if named_id and values.notna().all() and values.is_unique:
            id_column = id_column or column
            dropped[column] = "an id (kept beside the predictions, not a feature)"
        elif not pd.api.types.is_numeric_dtype(values):
            dropped[column] = "not numeric (the detectors measure distances between numbers)"
        elif values.nunique(dropna=True) < 2:
            dropped[column] = "constant"
        else:
            features.append(column)
    if not features:
        raise UserError(f"{where} has no numeric column with varying values besides the label; "
                        "the detectors need numbers to compare rows")
    return features, id_column, dropped


def _spread(values: np.ndarray) -> float:
    """A robust scale (the interquartile range), the standard deviation when most values are equal."""
    q1, q3 = np.nanpercentile(values, [25, 75])
    spread = float(q3 - q1) or float(np.nanstd(values))
    return spread or 1.0


def _scaled(frame: pd.DataFrame, schema: Mapping[str, Any]) -> np.ndarray:
    """The features centred and scaled as in training, missing values set to the training median."""
    values = frame[schema["features"]].to_numpy(dtype=float)
    medians = np.asarray(schema["medians"])
    values = np.where(np.isnan(values), medians, values)
    return (values - medians) / np.asarray(schema["scales"])


def split(dataset: Dataset, seed: int) -> list[Fold]:
    """Stratified k-fold on small data, a stratified holdout otherwise: each validation part holds anomalies."""
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = np.asarray(dataset.y)
    rows = np.arange(len(y))
    if len(y) <= SMALL_DATA_ROWS:
        n_splits = max(2, min(CV_FOLDS, int(y.sum())))
        return list(StratifiedKFold(n_splits, shuffle=True, random_state=seed).split(rows, y))
    train, valid = train_test_split(rows, test_size=HOLDOUT_SHARE, random_state=seed, stratify=y)
    return [(np.sort(train), np.sort(valid))]


def default_metric(dataset: Dataset) -> str:
    return "average_precision"


def prepare(source: DataSource, schema: Mapping[str, Any]) -> Batch:
    where = source_name(source)
    frame = read_table(source)
    missing = [column for column in schema["features"] if column not in frame.columns]
    if missing:
        raise UserError(f"column '{missing[0]}' is missing from {where}; the model needs: "
                        f"{', '.join(schema['features'])}")
    text = [column for column in schema["features"] if not pd.api.types.is_numeric_dtype(frame[column])]
    if text:
        raise UserError(f"column '{text[0]}' of {where} is not numeric, as it was in training; fix its values")
    id_column = schema.get("id_column")
    ids = frame[id_column] if id_column and id_column in frame.columns else None
    return Batch(X=_scaled(frame, schema), ids=ids)


def format_predictions(raw: np.ndarray, batch: Batch, schema: Mapping[str, Any]) -> pd.DataFrame:
    """``anomaly_score``: the share of training rows that look more normal; ``flagged``: 1 above the threshold."""
    score = np.asarray(raw, dtype=float).reshape(-1)
    contamination = check_contamination(schema.get("contamination"), default=0.0)
    out = pd.DataFrame()
    if batch.ids is not None:
        out[batch.ids.name] = batch.ids.to_numpy()
    out["anomaly_score"] = np.round(score, 6)
    out["flagged"] = (score > 1.0 - contamination).astype(int)
    return out


def anomaly_frame(n_rows: int, share: float, seed: int = 0) -> pd.DataFrame:
    """Correlated normal rows and a ``share`` of anomalies planted far from them, marked in ``is_anomaly``."""
    rng = np.random.default_rng(seed)
    n_anomalies = max(MIN_ANOMALIES, round(n_rows * share))
    mixing = np.array([[1.0, 0.6, 0.0, 0.2], [0.0, 1.0, 0.5, 0.0], [0.0, 0.0, 1.0, 0.4], [0.0, 0.0, 0.0, 1.0]])
    X = rng.normal(size=(n_rows, 4)) @ mixing
    directions = rng.normal(size=(n_anomalies, 4))
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    planted = rng.choice(n_rows, n_anomalies, replace=False)
    X[planted] = directions * rng.uniform(5.0, 8.0, size=(n_anomalies, 1))
    frame = pd.DataFrame(X.round(4), columns=["amount", "duration", "distance", "hour_shift"])
    frame.insert(0, "transaction_id", np.arange(1, n_rows + 1))
    frame["is_anomaly"] = np.isin(np.arange(n_rows), planted).astype(int)
    return frame


def sample_data(folder: Path) -> tuple[DataSource, dict[str, Any]]:
    """A generated table (``transactions.csv``) with 4% of its rows planted as anomalies."""
    path = Path(folder) / "transactions.csv"
    anomaly_frame(SAMPLE_ROWS, 0.04, seed=0).to_csv(path, index=False)
    return path, {"target": "is_anomaly"}


WORDS = TaskWords(
    unit="row",
    units="rows",
    predicts="how unusual each row is (the known anomalies marked in {target})",
    target="the anomaly label",
    metrics={"average_precision": "anomaly ranking quality (average precision)",
             "roc_auc": "ranking quality (AUC)"},
    metric_glosses={
        "average_precision": "the precision of the rows flagged, averaged as the flag threshold goes down the "
                             "ranking: 1 puts every known anomaly first; a random ranking scores the anomalies' share",
        "roc_auc": "the chance that a random known anomaly scores above a random normal row: 1 is perfect, 0.5 is "
                   "a coin toss",
    },
)

TASK = TaskSpec(
    name=NAME,
    detect=detect,
    load=load,
    split=split,
    default_metric=default_metric,
    prepare=prepare,
    format_predictions=format_predictions,
    sample_data=sample_data,
    ensemble=False,  # a blend of calibrated scores is not calibrated: the flag threshold would drift
    description="tables whose label column marks the known anomalies: an anomaly score and flag per row",
    options=(CONTAMINATION,),
    words=WORDS,
)
