"""The text task: a table with one free-text column and a label column in, a text classifier out."""

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
    add_class_columns,
    analyse_target,
    columns_listing,
    plural,
    read_table,
    source_name,
)
from automl.kit import classification_metric_glosses as metric_glosses
from automl.kit import classification_metric_names as metric_names
from automl_plugins.text.columns import (
    could_be_text,
    looks_like_free_text,
    pick_id_column,
    pick_text_column,
    text_candidates,
    to_texts,
)
from automl_plugins.text.report import section

NAME = "text"
SMALL_DATA_ROWS = 2000
MEDIUM_DATA_ROWS = 10_000
CV_FOLDS = 5
MEDIUM_CV_FOLDS = 3
HOLDOUT_SHARE = 0.2
RARE_POSITIVE_SHARE = 0.3
DETECTED = 0.8
_TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".pq"}


def detect(source: DataSource, options: Mapping[str, Any]) -> float:
    """0.8 when a column of free text carries the data (above the tabular task's 0.5), else 0."""
    if not isinstance(source, pd.DataFrame):
        path = Path(source)
        if not path.is_file() or path.suffix.lower() not in _TABLE_SUFFIXES:
            return 0.0
    try:
        frame = read_table(source)
    except UserError:
        return 0.0
    target = options.get("target")
    named = options.get("text_column")
    if named:
        return DETECTED if named in frame.columns else 0.0
    candidates = text_candidates(frame, exclude=(target,) if target else ())
    return DETECTED if any(looks_like_free_text(s) for s in candidates.values()) else 0.0


def _text_column(frame: pd.DataFrame, options: Mapping[str, Any], target: str, where: str) -> str:
    named = options.get("text_column")
    if named:
        if named not in frame.columns:
            raise UserError(f"text column '{named}' not found in {where}; columns are: {columns_listing(frame)}")
        if named == target:
            raise UserError(f"the text column and the target are both '{named}'; choose two different columns")
        return str(named)
    candidates = text_candidates(frame, exclude=(target,))
    chosen = pick_text_column({c: s for c, s in candidates.items() if could_be_text(s)})
    if chosen is None:
        empty = [str(c) for c in frame.columns if c != target and _all_empty(frame[c])]
        if empty:
            raise UserError(f"every text in column '{empty[0]}' of {where} is empty; there is nothing to learn from")
        raise UserError(
            f"no text column in {where} besides the target '{target}': the text task needs a column of free "
            f"text (columns: {columns_listing(frame)}); name one with --text-col (text_column in Python), or use "
            "--task tabular for numbers and categories"
        )
    return chosen


def _all_empty(column: pd.Series) -> bool:
    return bool((column.isna() | (column.astype(str).str.strip() == "")).all())


def load(source: DataSource, options: Mapping[str, Any]) -> Dataset:
    where = source_name(source)
    notes: list[str] = []
    frame = read_table(source, notes)
    name = options.get("target")
    if name and str(name).strip() in frame.columns:
        labels = frame[str(name).strip()].dropna()
        kind = "binary" if labels.nunique() == 2 else "multiclass"
    else:
        kind = "multiclass"  # analyse_target reports the missing or unknown target
    target = analyse_target(frame, name, where, kind)
    frame = frame.loc[target.keep].reset_index(drop=True)
    text_column = _text_column(frame, options, target.name, where)
    texts = to_texts(frame[text_column])
    if not any(t.strip() for t in texts):
        raise UserError(f"every text in column '{text_column}' of {where} is empty; there is nothing to learn from")
    id_column = pick_id_column(frame, skip=(target.name, text_column))
    if (~target.keep).any():
        notes.append(f"ignored {plural(int((~target.keep).sum()), 'row')} whose target '{target.name}' is missing")
    empty = int(sum(1 for t in texts if not t.strip()))
    if empty:
        notes.append(f"{empty} empty texts in '{text_column}' were kept as empty strings")
    schema = {
        "target": target.name,
        "kind": target.kind,
        "classes": target.classes,
        "text_column": text_column,
        "id_column": id_column,
    }
    counts = np.bincount(target.y, minlength=len(target.classes or []))
    info = {
        "n_rows": len(texts),
        "text_column": text_column,
        "mean_chars": float(np.mean([len(t) for t in texts])),
        "class_counts": counts.tolist(),
        "imbalance": float(counts.max() / max(counts.min(), 1)),
    }
    return Dataset(task=NAME, kind=target.kind, X=texts, y=target.y, schema=schema, classes=target.classes,
                   ids=frame[id_column] if id_column else None, notes=notes, info=info)


def split(dataset: Dataset, seed: int) -> list[Fold]:
    """Stratified 5-fold cross-validation up to 2,000 rows, 3-fold up to 10,000, a stratified 20% holdout above.

    Text models fit in seconds while label metrics on a small holdout tie often
    (a thousand SMS hold ~130 spam: one message is 0.8 points of F1), so
    out-of-fold predictions for every row are worth the extra fits.
    """
    from sklearn.model_selection import StratifiedKFold, train_test_split

    y = np.asarray(dataset.y)
    positions = np.arange(len(y))
    if len(y) <= MEDIUM_DATA_ROWS:
        folds = CV_FOLDS if len(y) <= SMALL_DATA_ROWS else MEDIUM_CV_FOLDS
        n_splits = max(2, min(folds, int(np.bincount(y).min())))
        splitter = StratifiedKFold(n_splits, shuffle=True, random_state=seed)
        return list(splitter.split(positions, y))
    train, valid = train_test_split(positions, test_size=HOLDOUT_SHARE, random_state=seed, stratify=y)
    return [(np.sort(train), np.sort(valid))]


def default_metric(dataset: Dataset) -> str:
    """F1 on the positive (second sorted) class when it is rarer than 30%, else accuracy; macro F1 for many."""
    if dataset.kind == "multiclass":
        return "f1_macro"
    positive_share = float(np.mean(np.asarray(dataset.y) == 1))
    return "f1" if positive_share < RARE_POSITIVE_SHARE else "accuracy"


def prepare(source: DataSource, schema: Mapping[str, Any]) -> Batch:
    where = source_name(source)
    frame = read_table(source)
    column = schema["text_column"]
    if column not in frame.columns:
        raise UserError(
            f"text column '{column}' is missing from {where}; the model needs it (columns: {columns_listing(frame)})"
        )
    id_column = schema.get("id_column")
    ids = frame[id_column] if id_column and id_column in frame.columns else None
    return Batch(X=to_texts(frame[column]), ids=ids)


def format_predictions(raw: np.ndarray, batch: Batch, schema: Mapping[str, Any]) -> pd.DataFrame:
    out = pd.DataFrame()
    if batch.ids is not None:
        out[batch.ids.name] = batch.ids.to_numpy()
    return add_class_columns(out, raw, schema["classes"])


def sample_data(folder: Path) -> tuple[DataSource, dict[str, Any]]:
    """Generated support tickets (four teams), for the conformance kit and the demo."""
    from automl_plugins.text.sample import tickets_frame

    path = Path(folder) / "tickets.csv"
    tickets_frame(300, seed=0).to_csv(path, index=False)
    return path, {"target": "team"}


WORDS = TaskWords(
    unit="message",
    units="messages",
    predicts="the {target} of each message",
    target="the label",
    metrics={
        **metric_names("balanced_accuracy", "f1", "f1_macro", "log_loss", "roc_auc", units="messages"),
        "accuracy": "share of messages labelled right (accuracy)",
    },
    metric_glosses=metric_glosses("roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1", "f1_macro",
                                  unit="message", units="messages"),
    glossary={"TF-IDF": "word counts weighted by how rare each word is: what the text models read"},
)


TEXT = TaskSpec(
    name=NAME,
    detect=detect,
    load=load,
    split=split,
    default_metric=default_metric,
    prepare=prepare,
    format_predictions=format_predictions,
    sample_data=sample_data,
    description="a table with a free-text column and a label: text classification (TF-IDF models)",
    options=(
        TaskOption("text_column", "The column of free text (default: the longest text column)."),
    ),
    words=WORDS,
    report=section,
)
