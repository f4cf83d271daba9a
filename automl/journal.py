"""The run's ``study.journal``, checked before Optuna reads it and repaired before a search appends to it.

Optuna's journal is one JSON object per line, appended with one write. A crash
or a full disk in the middle of that write leaves a *torn* last line: bytes
without their newline. Optuna skips such a line when it reads, but the next
append glues a new record onto it, and from then on every read of the study
fails with a ``JSONDecodeError`` traceback (``resume``, ``leaderboard``...).
So:

- :func:`check` runs before every read of a journal (:meth:`automl.runs.RunDir.storage`).
  A torn last line is reported once as a :class:`JournalNote` (the CLI prints a
  ``note:`` line) and left to Optuna to skip. Anything else that is not a
  journal record, anywhere in the file (a bad line in the middle, binary junk,
  a file that is not a journal at all), is one :class:`UserError`: guessing
  which records to keep could silently change the study.
- :func:`repair` runs before a process appends (``automl resume``, and every
  worker as it starts): the torn bytes are first copied to
  ``study.journal.torn`` beside it (nothing is lost), then the journal is
  truncated to its last whole record. Optuna appends under its journal lock,
  which repair takes too, so a torn tail seen under it is a crash's leftover,
  never a write in progress.

Checking instead of patching Optuna keeps Optuna's reader as it is; the cost is
one extra pass over the file per command, which is cached by size and mtime.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from automl import atomic
from automl.errors import UserError

TORN_SUFFIX = ".torn"
_OP_CODES = frozenset(range(11))  # optuna.storages.journal._storage.JournalOperation: CREATE_STUDY .. DISCARD_TRIALS
MAX_RECORD_BYTES = 64 << 20  # a trial's record holds parameters and a few metrics: kilobytes
T = TypeVar("T")
_DAMAGED = "the study is damaged; restore the file from a copy, or start a new run"


class JournalNote(UserWarning):
    """A torn last line in a journal: dropped, and said once (the CLI prints it as a ``note:`` line)."""


@dataclass(frozen=True)
class Scan:
    """Where the whole records of a journal end, and how many bytes of torn tail follow them."""

    good_bytes: int
    torn_bytes: int
    records: int


_checked: dict[tuple[str, int, int, int], Scan] = {}


def scan(path: Path) -> Scan:
    """Read the journal line by line; raise a :class:`UserError` for anything but records and a torn tail."""
    _check_file(path)
    good = records = 0
    try:
        with path.open("rb") as handle:
            # readline with a limit: a file without newlines (not a journal) is never read into memory whole
            for number, line in enumerate(iter(lambda: handle.readline(MAX_RECORD_BYTES + 1), b""), start=1):
                if len(line) > MAX_RECORD_BYTES:
                    raise UserError(f"{path} line {number} is longer than {MAX_RECORD_BYTES >> 20} MB, which no "
                                    f"journal record is; {_DAMAGED}")
                if not line.endswith(b"\n"):  # only the last line can lack its newline: a torn write
                    return Scan(good, len(line), records)
                if not _is_record(line):
                    raise UserError(
                        f"{path} line {number} is not an Optuna journal record "
                        f"({_describe(line)}); {_DAMAGED}"
                    )
                good += len(line)
                records += 1
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror or exc}); {_DAMAGED}") from None
    return Scan(good, 0, records)


def check(path: Path) -> Scan:
    """Check the journal before Optuna reads it; a torn tail gives one :class:`JournalNote`."""
    _check_file(path)  # before stat: a link is refused even when it points nowhere (Optuna would create its target)
    try:
        info = path.stat()
    except FileNotFoundError:
        return Scan(0, 0, 0)  # Optuna creates an empty journal
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror or exc}); {_DAMAGED}") from None
    key = (str(path.resolve()), info.st_size, info.st_mtime_ns, info.st_ino)
    result = _checked.get(key)
    if result is None:
        result = scan(path)
        if result.torn_bytes and _being_written(path, info.st_size):
            return result  # a search appending right now (its workers read too): not worth a note
        _checked[key] = result
    if result.torn_bytes:
        warnings.warn(
            f"{path} ends with an incomplete record ({result.torn_bytes} bytes, left by a crash or a full disk); "
            "it is ignored",
            JournalNote,
            stacklevel=2,
        )
    return result


def _being_written(path: Path, size: int) -> bool:
    """Whether an Optuna process holds the journal's append lock, or the file grew while it was scanned."""
    lock = path.with_name(path.name + ".lock")
    try:
        return lock.is_symlink() or lock.exists() or path.stat().st_size != size
    except OSError:
        return False


def replayed(path: Path, open_storage: Callable[[], T]) -> T:
    """Open the journal storage (Optuna replays every record then); records that do not fit together are one line.

    Each line passed :func:`scan`, but a record may still name a trial or study
    that does not exist, or carry values of the wrong type: Optuna's replay then
    fails with whatever exception its code meets first.
    """
    try:
        return open_storage()
    except (AssertionError, AttributeError, IndexError, KeyError, TypeError, ValueError) as exc:
        reason = (str(exc).splitlines() or [""])[0][:120] or type(exc).__name__
        raise UserError(f"{path} does not replay as an Optuna study ({reason}); {_DAMAGED}") from None


def repair(path: Path) -> Path | None:
    """Move a torn tail out of the journal (copied to ``study.journal.torn`` first); the copy's path, or None.

    Optuna's own journal lock is held meanwhile, so a process appending at this
    moment (a worker of a running search) is never cut.
    """
    if not path.exists():
        return None
    from optuna.storages.journal import JournalFileSymlinkLock

    lock = JournalFileSymlinkLock(str(path))  # the lock Optuna's JournalFileBackend appends under
    lock.acquire()
    try:
        found = scan(path)
        if not found.torn_bytes:
            return None
        with path.open("rb") as handle:
            handle.seek(found.good_bytes)
            tail = handle.read()
        kept = _free_name(path.with_name(path.name + TORN_SUFFIX))
        atomic.write_bytes(kept, tail)
        os.truncate(path, found.good_bytes)
    finally:
        lock.release()
    return kept


def _check_file(path: Path) -> None:
    if path.is_symlink():
        raise UserError(f"{path} is a symbolic link, which automl never creates; {_DAMAGED}")
    if path.exists() and not path.is_file():
        raise UserError(f"{path} is not a regular file; {_DAMAGED}")


def _is_record(line: bytes) -> bool:
    try:
        record = json.loads(line)
    except ValueError:  # JSONDecodeError, and UnicodeDecodeError for binary junk
        return False
    return isinstance(record, dict) and record.get("op_code") in _OP_CODES


def _describe(line: bytes) -> str:
    try:
        json.loads(line)
    except UnicodeDecodeError:
        return "binary data"
    except ValueError as exc:
        return f"not JSON: {str(exc).splitlines()[0][:80]}"
    return "JSON without a known op_code"


def _free_name(path: Path) -> Path:
    """``path``, or ``path.1``, ``path.2``... : an earlier torn copy is never overwritten."""
    candidate, n = path, 0
    while candidate.exists() or candidate.is_symlink():
        n += 1
        candidate = path.with_name(f"{path.name}.{n}")
    return candidate
