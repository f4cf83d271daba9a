"""Where the images of a run come from: a class-folder tree, a CSV of paths and labels, or a frame.

A listing is plain paths and labels; decoding happens later, in one place
(:mod:`automl_plugins.image.pixels`). A CSV's paths are resolved against the
CSV's folder and must stay inside it; a data frame built in Python may use any
path (relative ones are taken from the working directory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from automl.kit import DataSource, UserError, plural
from automl_plugins.image import files

DETECT_ROWS = 200


@dataclass
class Listing:
    files: list[Path]
    names: list[str]
    where: str
    labels: list[Any] = field(default_factory=list)
    classes: list[Any] = field(default_factory=list)
    schema: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def is_frame(source: Any) -> bool:
    return type(source).__name__ == "DataFrame" and hasattr(source, "columns")


def _columns(frame: Any) -> dict[str, list]:
    """The first values of every text column (object or string dtype)."""
    from pandas.api.types import is_object_dtype, is_string_dtype

    return {
        str(c): frame[c].dropna().head(DETECT_ROWS).tolist()
        for c in frame.columns
        if is_object_dtype(frame[c]) or is_string_dtype(frame[c])
    }


def csv_path_column(path: Path) -> str | None:
    """The image-path column of a CSV, judged from its first rows."""
    import pandas as pd

    try:
        head = pd.read_csv(path, nrows=DETECT_ROWS, sep=None, engine="python", dtype=str)
    except Exception:  # noqa: BLE001 - an unreadable table is simply not an image table
        return None
    return files.find_path_column(_columns(head), path.parent)


def frame_path_column(frame: Any, base: Path) -> str | None:
    return files.find_path_column(_columns(frame), base)


def _table(source: DataSource, notes: list[str] | None = None) -> tuple[Any, Path, str, bool]:
    """The frame, the folder its paths are relative to, its name, and whether paths must stay inside."""
    from automl.kit import read_table

    if is_frame(source):
        return read_table(source, notes), Path.cwd(), "the data frame", False
    path = Path(source)
    return read_table(path, notes), path.parent, str(path), True


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _sorted_classes(values: list[Any]) -> list[Any]:
    unique = list(dict.fromkeys(_plain(v) for v in values))
    try:
        return sorted(unique)
    except TypeError:
        return sorted(unique, key=str)


def _resolve(frame: Any, column: str, base: Path, where: str, contained: bool) -> list[Path]:
    """Absolute paths; a CSV's row numbers (header = row 1) come from the frame's index, kept from the file."""
    resolved = []
    for index, value in zip(frame.index, frame[column].tolist(), strict=True):
        if contained:
            resolved.append(files.inside(base, str(value), f"{where} row {int(index) + 2}"))
        else:
            resolved.append((base / str(value).strip()).resolve())
    return resolved


def _path_column(frame: Any, base: Path, where: str, wanted: str | None = None, contained: bool = False) -> str:
    if wanted and wanted in frame.columns:
        return wanted
    column = files.find_path_column(_columns(frame), base)
    if column is None:
        if contained:  # paths that all leave the folder: name the first one, not "no path column"
            for name, values in _columns(frame).items():
                texts = [str(v).strip() for v in values if isinstance(v, str) and str(v).strip()]
                if texts and sum(files.has_image_suffix(t) for t in texts) >= 0.8 * len(texts):
                    _resolve(frame.loc[frame[name].notna()], name, base, where, contained)
        expected = f"the column '{wanted}' the model was trained with, or " if wanted else ""
        raise UserError(
            f"no column of {where} holds paths of existing image files (relative to {base}); it needs "
            f"{expected}a column of image paths; columns are: {', '.join(map(str, frame.columns))}"
        )
    return column


def training_listing(source: DataSource, options: Mapping[str, Any]) -> Listing:
    if not is_frame(source) and Path(source).is_dir():
        root = Path(source)
        paths, labels, classes = files.folder_listing(root)
        return Listing(paths, files.display_names(paths, root), str(root), labels, classes, {"source": "folder"})
    notes: list[str] = []
    frame, base, where, contained = _table(source, notes)
    column = _path_column(frame, base, where, options.get("path_column"), contained)
    target = options.get("target")
    others = [str(c) for c in frame.columns if c != column]
    if target is None:
        if len(others) != 1:
            raise UserError(f"{where} has several columns besides the image paths ('{column}'); "
                            f"name the label column with --target (one of: {', '.join(others)})")
        target = others[0]
    if target not in frame.columns:
        raise UserError(f"column '{target}' not found in {where}; columns are: {', '.join(map(str, frame.columns))}")
    missing = frame[target].isna() | frame[column].isna()
    if missing.any():
        notes.append(f"ignored {plural(int(missing.sum()), 'row')} of {where} without a path or a label")
    frame = frame.loc[~missing]
    from automl.kit import refuse_non_finite  # late: pandas is imported only when a table is read

    refuse_non_finite(frame[target], str(target), where)  # the index stays the file's row numbers, for messages
    paths = _resolve(frame, column, base, where, contained)
    labels = [_plain(v) for v in frame[target].tolist()]
    schema = {"source": "table", "path_column": column, "label_column": target}
    names = [str(v).strip() for v in frame[column].tolist()]
    return Listing(paths, names, where, labels, _sorted_classes(labels), schema, notes)


def prediction_listing(source: DataSource, schema: Mapping[str, Any]) -> Listing:
    if not is_frame(source):
        path = Path(source)
        if not path.exists():
            raise UserError(f"file not found: {path}; check the path")
        if path.is_dir():
            paths = list(files.walk_files(path))
            return Listing(paths, files.display_names(paths, path), str(path))
        if files.has_image_suffix(path.name):
            return Listing([path.resolve()], [str(path)], str(path))
    frame, base, where, contained = _table(source)
    column = _path_column(frame, base, where, schema.get("path_column"), contained)
    frame = frame.loc[frame[column].notna()]
    paths = _resolve(frame, column, base, where, contained)
    return Listing(paths, [str(v).strip() for v in frame[column].tolist()], where)
