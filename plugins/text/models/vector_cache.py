"""Sentence vectors kept on disk between the processes of one machine.

With a time budget each trial runs in its own forked process (so it can be
stopped at the deadline), and a process's in-memory cache of encoded texts
dies with it: every embedding trial would encode the same texts again (about
a minute for 5,574 SMS on two cores). The folds are the same in every trial,
so the texts a trial has to encode form the same batches: each batch is stored
under a hash of the encoder and its texts, and found again by the next trial.

The folder is private to the user (created 0700, its owner checked), and the
files are plain arrays read without pickle.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numpy as np

ENV = "AUTOML_EMBEDDING_CACHE"  # a folder of one's own; "off" disables the cache


def _folder() -> Path | None:
    given = os.environ.get(ENV)
    if given == "off":
        return None
    folder = Path(given) if given else Path(tempfile.gettempdir()) / f"automl-embeddings-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_uid != os.getuid():  # someone else's folder in a shared /tmp: not trusted
            return None
    except OSError:
        return None
    return folder


def _file(encoder: str, texts: list[str]) -> Path | None:
    folder = _folder()
    if folder is None:
        return None
    digest = hashlib.sha256()
    digest.update(encoder.encode("utf-8", "surrogatepass"))
    for text in texts:
        digest.update(b"\0" + text.encode("utf-8", "surrogatepass"))
    return folder / f"{digest.hexdigest()}.npy"


def load(encoder: str, texts: list[str]) -> np.ndarray | None:
    """The vectors of ``texts`` (one row each, in order) stored by an earlier process, if any."""
    path = _file(encoder, texts)
    if path is None or not path.is_file():
        return None
    try:
        vectors = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return vectors if vectors.ndim == 2 and len(vectors) == len(texts) and vectors.dtype.kind == "f" else None


def store(encoder: str, texts: list[str], vectors: np.ndarray) -> None:
    """Keep the vectors of ``texts`` for the next process; a full or read-only disk only costs speed."""
    path = _file(encoder, texts)
    if path is None:
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as out:
            np.save(out, np.asarray(vectors, dtype=np.float32), allow_pickle=False)
        os.replace(temporary, path)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
