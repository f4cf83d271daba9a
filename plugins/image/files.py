"""Finding images: class folders, CSV path columns, and paths that must stay inside a folder.

Everything here works on names and the file system only (no image decoding), so
``detect`` stays fast on a large folder. A CSV's paths are relative to the CSV's
own folder; a path that resolves outside it (``../``, an absolute path, or a
symbolic link pointing out) is refused, so a CSV from someone else cannot make
automl read arbitrary files.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from automl.kit import UserError

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff"})
DETECT_SCAN_LIMIT = 64  # directory entries looked at per class folder by detect
CSV_SUFFIXES = frozenset({".csv", ".tsv", ".txt"})


def is_hidden(path: Path) -> bool:
    return path.name.startswith(".") or path.name in {"__MACOSX", "Thumbs.db", "desktop.ini"}


def has_image_suffix(name: str) -> bool:
    return Path(name).suffix.lower() in IMAGE_SUFFIXES


def walk_files(root: Path) -> Iterator[Path]:
    """Every non-hidden file under ``root``, sorted, without following links out of it."""
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not is_hidden(Path(d)))
        for name in sorted(files):
            if not is_hidden(Path(name)):
                yield Path(folder) / name


def class_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and not is_hidden(p))


def looks_like_class_folders(root: Path) -> bool:
    """True when at least one subfolder holds an image file near its top (a quick look, not a scan)."""
    try:
        subfolders = class_folders(root)
    except OSError:
        return False
    for folder in subfolders:
        try:
            with os.scandir(folder) as entries:
                for count, entry in enumerate(entries):
                    if count >= DETECT_SCAN_LIMIT:
                        break
                    if entry.is_file() and has_image_suffix(entry.name):
                        return True
        except OSError:
            continue
    return False


def folder_listing(root: Path) -> tuple[list[Path], list[str], list[str]]:
    """Files, their class names (the first-level folder) and the classes, for a training folder."""
    classes = [p.name for p in class_folders(root)]
    if len(classes) < 2:
        found = ", ".join(classes) or "none"
        raise UserError(
            f"{root} needs one subfolder per class with at least two classes (found: {found}); "
            "put each class's images in a folder named after the class"
        )
    files: list[Path] = []
    labels: list[str] = []
    for name in classes:
        for file in walk_files(root / name):
            files.append(file)
            labels.append(name)
    return files, labels, classes


def inside(base: Path, value: str, where: str) -> Path:
    """The absolute path of ``value`` relative to ``base``; a path that leaves ``base`` is a user error."""
    text = str(value).strip()
    resolved = (base / text).resolve()
    root = base.resolve()
    if resolved != root and root not in resolved.parents:
        raise UserError(
            f"image path '{text}' in {where} leaves the CSV's folder {root}; "
            "paths must be relative to the CSV's folder and stay inside it"
        )
    return resolved


def path_column_score(values: list[str], base: Path) -> float:
    """How much a column looks like image paths: share with an image suffix, and at least one existing file."""
    texts = [str(v).strip() for v in values if isinstance(v, str) and str(v).strip()]
    if not texts:
        return 0.0
    share = float(np.mean([has_image_suffix(t) for t in texts]))
    if share < 0.8:
        return 0.0
    root = base.resolve()
    for text in texts[:20]:
        candidate = (root / text).resolve()
        if (candidate == root or root in candidate.parents) and candidate.is_file():
            return share
    return 0.0


def find_path_column(columns: dict[str, list], base: Path) -> str | None:
    """The column whose values are image paths that exist under ``base``, if any."""
    scores = {name: path_column_score(values, base) for name, values in columns.items()}
    best = max(scores, key=scores.__getitem__, default=None)
    return best if best is not None and scores[best] > 0 else None


def display_names(files: list[Path], root: Path) -> list[str]:
    """Paths relative to ``root`` with forward slashes, as written to prediction files."""
    return [file.relative_to(root).as_posix() for file in files]
