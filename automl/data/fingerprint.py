"""A stable fingerprint of the training data, recorded in run.json for reproducibility."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

from automl.specs import DataSource

_CHUNK = 1 << 20


def fingerprint(source: DataSource) -> str:
    """``sha256:<hex>`` of a file's bytes, a folder's files, or a frame's contents."""
    digest = hashlib.sha256()
    if isinstance(source, pd.DataFrame):
        digest.update(",".join(map(str, source.columns)).encode())
        digest.update(pd.util.hash_pandas_object(source, index=False).values.tobytes())
        return f"sha256:{digest.hexdigest()}"
    path = Path(source)
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for file in files:
        if path.is_dir():
            digest.update(str(file.relative_to(path)).encode())
        with file.open("rb") as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
    return f"sha256:{digest.hexdigest()}"
