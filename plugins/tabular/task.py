"""The tabular task: a table with a target column in, a classifier or regressor out."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from automl.kit import (
    FREE_TEXT,
    Batch,
    Dataset,
    DataSource,
    Fold,
    TaskOption,
    TaskSpec,
    TaskWords,
    UserError,
    add_class_columns,
    check_values,
    infer_columns,
    plural,
    read_table,
    source_name,
    to_features,
)
from automl.kit import classification_metric_glosses as metric_glosses
from automl.kit import classification_metric_names as metric_names
from automl_plugins.tabular.problem_type import PROBLEM_TYPES, Request
from automl_plugins.tabular.report import section
from automl_plugins.tabular.target import analyse_target

NAME = "tabular"
SMALL_DATA_ROWS = 5000
CV_FOLDS = 5
HOLDOUT_SHARE = 0.2
_TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".pq"}


def detect(source: DataSource, options: Mapping[str, Any]) -> float:
    """Any table is a tabular problem; other tasks claim theirs with more confidence."""
    if isinstance(source, pd.DataFrame):
        return 0.5
    path = Path(source)
    return 0.5 if path.is_file() and path.suffix.lower() in _TABLE_SUFFIXES else 0.0


def load(source: DataSource, options: Mapping[str, Any]) -> Dataset:
    where = source_name(source)
    read_notes: list[str] = []
    frame = read_table(source, read_notes)
    target = analyse_target(frame, options.get("target"), where, request=Request.from_options(options))
    frame = frame.loc[target.keep].reset_index(drop=True)
    inputs = frame.drop(columns=[target.name])
    columns, dropped = infer_columns(inputs, where)
    if not columns:
        reasons = "; ".join(f"{c}: {why}" for c, why in dropped.items())
        raise UserError(f"no usable feature column in {where} besides the target ({reasons})")
    id_column = _pick_id_column(dropped)
    X = to_features(inputs, columns)
    notes = read_notes + [spec.pop("note") for spec in columns.values() if "note" in spec]
    notes += [f"dropped column '{c}': {why}" + ("; try --task text" if why == FREE_TEXT else "")
              for c, why in dropped.items()]
    if (~target.keep).any():
        notes.append(f"ignored {plural(int((~target.keep).sum()), 'row')} whose target '{target.name}' is missing")
    notes += _many_classes_notes(target.classes)
    if target.note:
        notes.insert(0, target.note)
    schema = {
        "target": target.name,
        "kind": target.kind,
        "classes": target.classes,
        "columns": columns,
        "dropped": dropped,
        "id_column": id_column,
        "features": list(X.columns),
    }
    return Dataset(
        task=NAME,
        kind=target.kind,
        X=X,
        y=target.y,
        schema=schema,
        classes=target.classes,
        ids=frame[id_column] if id_column else None,
        notes=notes,
        info=_info(X, target.y, target.kind, columns),
    )


def _many_classes_notes(classes: list[Any] | None) -> list[str]:
    """Say when the number of classes makes the models' size limits bite (automl/limits.py): boosted models
    grow one tree per class a round, and a forest keeps a probability per class in every node."""
    from automl.kit import limits

    n_classes = len(classes or [])
    rounds = limits.boosting_rounds(limits.MAX_TREES, n_classes)
    if n_classes <= 2 or n_classes * 1000 <= limits.MAX_TREES:  # a thousand rounds still fit: nothing bites
        return []
    return [f"{n_classes:,} classes: boosted models are held to {rounds:,} rounds ({limits.MAX_TREES:,} trees), "
            "forests stop growing at their memory cap, and the report draws the "
            f"{limits.MAX_CLASSES_DRAWN} most frequent classes plus one group of the others"]


def _pick_id_column(dropped: Mapping[str, str]) -> str | None:
    ids = [c for c, why in dropped.items() if why.startswith("id-like")]
    return ids[0] if ids else None


def _info(X: pd.DataFrame, y: np.ndarray, kind: str, columns: Mapping[str, Any]) -> dict[str, Any]:
    info: dict[str, Any] = {
        "n_rows": len(X),
        "n_features": X.shape[1],
        "categorical": [c for c, d in columns.items() if d["type"] == "categorical"],
        "missing_share": float(X.isna().to_numpy().mean()),
    }
    if kind != "regression":
        counts = np.bincount(y)
        info["class_counts"] = counts.tolist()
        info["imbalance"] = float(counts.max() / max(counts.min(), 1))
    return info


def split(dataset: Dataset, seed: int) -> list[Fold]:
    """k-fold cross-validation on small data, a 20% holdout otherwise (stratified for classes)."""
    from sklearn.model_selection import KFold, StratifiedKFold, train_test_split

    y = np.asarray(dataset.y)
    positions = np.arange(len(y))
    stratify = dataset.kind != "regression"
    if len(y) <= SMALL_DATA_ROWS:
        n_splits = CV_FOLDS
        if stratify:
            n_splits = max(2, min(CV_FOLDS, int(np.bincount(y).min())))
        splitter = (StratifiedKFold if stratify else KFold)(n_splits, shuffle=True, random_state=seed)
        return [(tr, va) for tr, va in splitter.split(positions, y)]
    train, valid = train_test_split(
        positions, test_size=HOLDOUT_SHARE, random_state=seed, stratify=y if stratify else None
    )
    return [(np.sort(train), np.sort(valid))]


def default_metric(dataset: Dataset) -> str:
    return {"binary": "roc_auc", "multiclass": "accuracy"}.get(dataset.kind, "rmse")


def prepare(source: DataSource, schema: Mapping[str, Any]) -> Batch:
    where = source_name(source)
    frame = read_table(source)
    missing = [c for c in schema["columns"] if c not in frame.columns]
    if missing:
        similar = [str(c) for c in frame.columns if str(c).strip().lower() == missing[0].lower()]
        hint = f" (the file has '{similar[0]}': names must match exactly)" if similar else ""
        raise UserError(
            f"column '{missing[0]}' is missing from {where}{hint}; the model needs: "
            f"{', '.join(schema['columns'])}"
        )
    check_values(frame, schema["columns"], where)
    id_column = schema.get("id_column")
    ids = frame[id_column] if id_column and id_column in frame.columns else None
    return Batch(X=to_features(frame, schema["columns"]), ids=ids)


def format_predictions(raw: np.ndarray, batch: Batch, schema: Mapping[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame()
    if batch.ids is not None:
        out[batch.ids.name] = batch.ids.to_numpy()
    if schema["kind"] == "regression":
        out["prediction"] = np.asarray(raw, dtype=float)
        return out
    return add_class_columns(out, raw, schema["classes"])


def sample_data(folder: Path) -> tuple[DataSource, dict[str, Any]]:
    """A small generated churn table, for the conformance kit and the demo."""
    from automl_plugins.tabular.demo import churn_frame

    path = Path(folder) / "customers.csv"
    churn_frame(400, seed=0).to_csv(path, index=False)
    return path, {"target": "churned"}


WORDS = TaskWords(
    unit="row",
    units="rows",
    predicts="{target} for each row",
    target="the target column",
    metrics={
        **metric_names(units="rows"), "balanced_accuracy": "accuracy averaged over classes",
        "rmse": "typical error (RMSE)", "mae": "average error (MAE)", "r2": "share of the variation explained (R²)",
    },
    metric_glosses={
        **metric_glosses(unit="row", units="rows"),
        "rmse": "root mean squared error, in the target's units: large misses count more; lower is better",
        "mae": "mean absolute error, in the target's units: lower is better",
        "r2": "1 is perfect, 0 is no better than always predicting the average",
    },
    glossary={
        "permutation importance": "how much the score drops when one column's values are shuffled, so the "
                                  "model can no longer use that column",
        "SHAP": "how much each column pushes one prediction up or down, averaged over rows (larger means the "
                "column moves predictions more)",
    },
)


TABULAR = TaskSpec(
    name=NAME,
    detect=detect,
    load=load,
    split=split,
    default_metric=default_metric,
    prepare=prepare,
    format_predictions=format_predictions,
    sample_data=sample_data,
    description="tables (CSV, TSV, Parquet) with a target column: classification and regression",
    options=(
        TaskOption("problem_type", "The kind of problem (default: inferred from the target; a metric such as rmse "
                                   "implies it): regression makes an integer target with few values (ratings, "
                                   "counts) a number.", choices=PROBLEM_TYPES),
    ),
    words=WORDS,
    report=section,
)
