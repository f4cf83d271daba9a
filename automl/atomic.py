"""Atomic file writes: a reader sees the old file or the new one, never half of one.

A crash, a full disk or Ctrl-C in the middle of a write must not leave a
truncated run.json, model.json or predictions file that looks complete. So
every output and run file is written to a temporary file in the same folder
(the same file system, so the rename is atomic) and moved over the target with
:func:`os.replace`. On any failure the temporary file is removed, so nothing is
left behind and the old file, if any, is untouched.

Temporary names start with ``.`` and end with :data:`TMP_SUFFIX`, so
:mod:`automl.runs` can recognise (and ``--force`` may delete) a leftover one.
"""

from __future__ import annotations

import contextlib
import functools
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

TMP_SUFFIX = ".automl-tmp"


def is_temporary(name: str) -> bool:
    """Whether ``name`` is a temporary file of this module (left over by a killed process)."""
    return name.startswith(".") and name.endswith(TMP_SUFFIX)


@contextlib.contextmanager
def replacing(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; when the block ends without error, it replaces ``target``.

    For writers that need a path (``DataFrame.to_csv``, ``np.savez``...). The
    temporary file is deleted if the block raises or the rename fails.
    """
    target = Path(target)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=TMP_SUFFIX, dir=target.parent)
    os.close(handle)
    tmp = Path(name)
    try:
        # mkstemp makes the file private (0600); an output gets the mode a plain open() would give it
        tmp.chmod(_mode_of(target))
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _mode_of(target: Path) -> int:
    """The existing file's permissions, or those of a new file under the process's umask."""
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except OSError:
        return 0o666 & ~_umask()


@functools.cache
def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def write_bytes(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (flushed to disk before the rename)."""
    with replacing(target) as tmp, tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return Path(target)


def write_text(target: str | Path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``target`` atomically."""
    return write_bytes(target, text.encode(encoding))
