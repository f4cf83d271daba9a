"""The image task: a folder of class subfolders (or a CSV of paths and labels) in, a classifier out.

``Dataset.X`` is an array of absolute file paths: the models read pixels
through the plugin's shared cache, so a folder larger than memory still works.
Every file is decoded once when the data is loaded, so corrupt and non-image
files are found up front, skipped and counted, instead of crashing a trial.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from automl.kit import Batch, Dataset, DataSource, Fold, TaskOption, TaskSpec, TaskWords, UserError, add_class_columns
from automl.kit import classification_metric_glosses as metric_glosses
from automl.kit import classification_metric_names as metric_names
from automl_plugins.image import files, pixels, sources
from automl_plugins.image.backend import import_torch
from automl_plugins.image.report import section

NAME = "image"
MAX_BAD_SHARE = 0.05
HOLDOUT_SHARE = 0.2
IMBALANCED = 3.0  # largest / smallest class count from which balanced accuracy is the default


def detect(source: DataSource, options: Mapping[str, Any]) -> float:
    """0.9 for a folder of class subfolders holding images, or a table with a column of existing image paths."""
    try:
        if sources.is_frame(source):
            return 0.9 if sources.frame_path_column(source, Path.cwd()) else 0.0
        path = Path(source)
        if path.is_dir():
            return 0.9 if files.looks_like_class_folders(path) else 0.0
        if path.is_file() and path.suffix.lower() in files.CSV_SUFFIXES:
            return 0.9 if sources.csv_path_column(path) else 0.0
    except (OSError, ValueError, UserError):
        return 0.0
    return 0.0


def _require_libraries() -> None:
    import_torch()
    pixels.pil()


def load(source: DataSource, options: Mapping[str, Any]) -> Dataset:
    _require_libraries()
    listing = sources.training_listing(source, options)
    probes = pixels.probe_all([str(p) for p in listing.files])
    bad = [(name, p.reason) for name, p in zip(listing.names, probes, strict=True) if not p.ok]
    _check_bad_share(bad, len(probes), listing.where)
    good = np.array([p.ok for p in probes], dtype=bool)
    labels = [label for label, ok in zip(listing.labels, good, strict=True) if ok]
    classes = listing.classes
    _check_every_class_has_images(classes, labels, listing.where)
    codes = {label: code for code, label in enumerate(classes)}
    y = np.array([codes[label] for label in labels], dtype=np.int64)
    X = np.array([str(p) for p, ok in zip(listing.files, good, strict=True) if ok], dtype=object)
    kept = [p for p in probes if p.ok]
    channels = 1 if all(p.grey for p in kept) else 3
    side = int(round(float(np.median([np.sqrt(p.width * p.height) for p in kept]))))
    counts = np.bincount(y, minlength=len(classes))
    notes = list(listing.notes)
    if bad:
        examples = "; ".join(f"{name} ({reason})" for name, reason in bad[:3])
        notes.append(f"skipped {len(bad)} of {len(probes)} files that are not readable images: {examples}"
                     + (" ..." if len(bad) > 3 else ""))
    kind = "binary" if len(classes) == 2 else "multiclass"
    schema = {"kind": kind, "classes": classes, "channels": channels, "side": side, **listing.schema}
    info = {
        "n_rows": len(y), "class_counts": counts.tolist(), "imbalance": float(counts.max() / max(counts.min(), 1)),
        "channels": channels, "side": side, "bad_files": len(bad),
        "sizes": sorted({(p.width, p.height) for p in kept})[:20],
    }
    return Dataset(task=NAME, kind=kind, X=X, y=y, schema=schema, classes=classes, notes=notes, info=info)


def _check_bad_share(bad: list[tuple[str, str]], total: int, where: str) -> None:
    if total == 0:
        raise UserError(f"no image file found in {where}; put images in one subfolder per class")
    if len(bad) > MAX_BAD_SHARE * total:
        examples = "; ".join(f"{name} ({reason})" for name, reason in bad[:3])
        raise UserError(
            f"{len(bad)} of {total} files in {where} are not readable images (more than "
            f"{MAX_BAD_SHARE:.0%}), e.g. {examples}; remove or fix them"
        )


def _check_every_class_has_images(classes: list[Any], labels: list[Any], where: str) -> None:
    present = set(labels)
    empty = [str(c) for c in classes if c not in present]
    if empty:
        raise UserError(
            f"class '{empty[0]}' has no readable image in {where}; add images to it or remove it"
            + (f" (also empty: {', '.join(empty[1:])})" if len(empty) > 1 else "")
        )


def split(dataset: Dataset, seed: int) -> list[Fold]:
    """One stratified 20% holdout: networks are too slow to train k times per trial.

    A class with a single image cannot be stratified; it then stays in training.
    """
    from sklearn.model_selection import train_test_split

    y = np.asarray(dataset.y)
    positions = np.arange(len(y))
    counts = np.bincount(y)
    rare = np.isin(y, np.flatnonzero(counts < 2))
    common = positions[~rare]
    n_valid = max(len(counts), int(round(HOLDOUT_SHARE * len(common))))
    train, valid = train_test_split(common, test_size=n_valid, random_state=seed, stratify=y[common])
    return [(np.sort(np.concatenate([train, positions[rare]])), np.sort(valid))]


def default_metric(dataset: Dataset) -> str:
    """Accuracy, or balanced accuracy when one class is at least 3 times rarer (defects usually are)."""
    return "balanced_accuracy" if dataset.info.get("imbalance", 1.0) >= IMBALANCED else "accuracy"


def prepare(source: DataSource, schema: Mapping[str, Any]) -> Batch:
    """Every file of a folder, a CSV's path column, or one image; unreadable files get an empty row."""
    _require_libraries()
    listing = sources.prediction_listing(source, schema)
    probes = pixels.probe_all([str(p) for p in listing.files])
    ok = np.array([p.ok for p in probes], dtype=bool)
    if not ok.any():
        raise UserError(f"no readable image in {listing.where}; nothing to predict")
    X = np.array([str(p) for p, good in zip(listing.files, ok, strict=True) if good], dtype=object)
    return Batch(X=X, extra={"names": listing.names, "ok": ok})


def format_predictions(raw: np.ndarray, batch: Batch, schema: Mapping[str, Any]) -> Any:
    """``path``, ``prediction``, then ``proba_<class>``; an unreadable file has an empty prediction."""
    import pandas as pd

    classes = list(schema["classes"])
    ok = batch.extra.get("ok", np.ones(len(raw), dtype=bool))
    proba = np.full((len(ok), len(classes)), np.nan)
    proba[ok] = np.asarray(raw, dtype=float)
    return add_class_columns(pd.DataFrame({"path": batch.extra.get("names", list(batch.X))}), proba, classes)


def sample_data(folder: Path) -> tuple[DataSource, dict[str, Any]]:
    """Coloured shapes in RGB and grey, mixed sizes and formats: the conformance kit's data."""
    from automl_plugins.image.sample import write_shapes

    return write_shapes(Path(folder) / "shapes", per_class=24, seed=0), {}


WORDS = TaskWords(
    unit="image",
    units="images",
    predicts="the class of each image",
    target="class",
    metrics={
        **metric_names("balanced_accuracy", "f1_macro", "log_loss", units="images"),
        "accuracy": "share of images classified right (accuracy)",
    },
    metric_glosses=metric_glosses("log_loss", "accuracy", "balanced_accuracy", "f1_macro",
                                  unit="image", units="images"),
    glossary={"class": "one of the labels the model chooses between (a subfolder name, or the label column)"},
)


IMAGE = TaskSpec(
    name=NAME,
    detect=detect,
    load=load,
    split=split,
    default_metric=default_metric,
    prepare=prepare,
    format_predictions=format_predictions,
    sample_data=sample_data,
    # No ensembles: every member is refit on all the data after the search, and one network's refit
    # (1.25x its trial) alone fills the 10% of the budget the core keeps for it, so further members
    # would be cut off at the budget anyway (a 300 s MNIST run with 3 networks took 415 s before that cut).
    ensemble=False,
    description="image classification from a folder of class subfolders, or a CSV of image paths and labels",
    options=(
        TaskOption("path_column", "In a CSV of images, the column of image paths (default: detected)."),
    ),
    words=WORDS,
    report=section,
)
