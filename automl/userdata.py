"""The user's files are never destroyed: what ``--force`` may delete and where ``--out`` may write.

A run folder is automl's, but the folder a user names with ``--run-dir`` may
hold other things: the training data itself (``automl fit runs/x/data.csv
--run-dir runs/x``), notes, a whole project. So ``--force`` deletes only the
entries automl writes into a run folder (:data:`OWN_FILES`, :data:`OWN_FOLDERS`,
leftover temporary files), one by one, and refuses, before any work, a folder
that holds anything else or any file the fit reads.

An output (``--out`` of ``predict``, ``report``, ``compare``) must not replace
the file being read, land inside a run folder (where it would break the run's
checksums or be taken for one of its files), or overwrite an existing file
unless ``--overwrite`` says so. Outputs are written atomically
(:mod:`automl.atomic`), and a folder or an unwritable place is one error line.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from automl import atomic
from automl.errors import UserError

MANIFEST = "run.json"
# Every name automl writes at the top of a run folder (tmp and lock files included), by kind.
OWN_FILES = frozenset({
    MANIFEST, "run.tmp", "run.lock", "ask.lock", "study.journal", "leaderboard.csv", "report.html",
    "report.md", "data.parquet",
})
OWN_FOLDERS = frozenset({"artifacts", "best", "best.partial"})
OWN_PREFIXES = ("study.journal.torn", "study.journal.lock")  # a repaired journal's tail; Optuna's lock files
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})  # operating-system clutter, kept
EMPTY_RUN = frozenset({"run.lock"})  # a folder with only these is free: its lock is taken before it is filled
_LISTED = 5


def is_own(entry: Path) -> bool:
    """Whether automl wrote ``entry`` (a direct child of a run folder), judged by its name and kind."""
    name = entry.name
    if entry.is_symlink():  # Optuna's journal lock is a symbolic link; nothing else of automl's is
        return name.startswith("study.journal.lock")
    if name in OWN_FOLDERS:
        return entry.is_dir()
    return entry.is_file() and (name in OWN_FILES or name.startswith(OWN_PREFIXES) or atomic.is_temporary(name))


def foreign_entries(folder: Path) -> list[Path]:
    """The entries of a run folder that automl did not write (clutter such as .DS_Store aside)."""
    return sorted(e for e in folder.iterdir() if e.name not in IGNORED_NAMES and not is_own(e))


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def check_run_dir(path: Path, force: bool, reads: Iterable[Path] = ()) -> None:
    """Fail before any work if ``path`` cannot be a run folder, or ``--force`` would delete the user's files.

    ``reads`` are the paths the fit reads (the data file or folder, an items
    file...): a run folder holding any of them is refused even with ``force``.
    """
    _check_location(path)
    try:
        entries = list(path.iterdir()) if path.exists() else []
    except OSError as exc:
        raise UserError(f"cannot read run directory {path} ({exc.strerror or exc}); choose another --run-dir") from None
    if all(e.name in EMPTY_RUN for e in entries):
        return
    if not force:
        raise UserError(
            f"run directory {path} already exists; pass --force to overwrite it, "
            f"--run-dir to choose another, or run {_resume_command(path)} to continue it"
        )
    if path.is_symlink():
        raise UserError(
            f"run directory {path} is a symbolic link; --force deletes only in a real folder: "
            f"pass the folder it points to ({os.readlink(path)}) or another --run-dir"
        )
    folder = path.resolve()
    for read in reads:
        if _inside(read.resolve(), folder):
            raise UserError(
                f"run directory {path} holds {read}, which this fit reads; --force would delete it: "
                "choose another --run-dir"
            )
    if not (path / MANIFEST).is_file():
        raise UserError(
            f"{path} is not empty and is not a run directory (no {MANIFEST}); "
            "refusing to delete it even with --force: choose another --run-dir"
        )
    foreign = foreign_entries(path)
    if foreign:
        raise UserError(
            f"run directory {path} holds files automl did not write ({_names(foreign)}); --force deletes only "
            "a run's own files: move them away or choose another --run-dir"
        )


def _resume_command(path: Path) -> str:
    from automl.terminal import quoted_command

    return quoted_command("automl", "resume", path)


def _check_location(path: Path) -> None:
    """A run folder must be a folder, under folders, where this user may write."""
    if path.is_symlink() and not path.is_dir():
        raise UserError(f"run directory {path} is a symbolic link to {os.readlink(path)}, which is not a folder")
    if path.exists() and not path.is_dir():
        raise UserError(f"{path} is a file, not a run directory; pass --run-dir FOLDER")
    existing = path
    while not existing.exists():
        if existing.is_symlink():
            raise UserError(f"{existing} is a broken symbolic link; run directory {path} cannot be created there")
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"{existing} is a file, so run directory {path} cannot be created under it")
    _check_writable(existing, f"run directory {path}", "choose another --run-dir")


def _check_writable(folder: Path, what: str, fix: str) -> None:
    """Try to write in ``folder`` (``os.access`` says yes to root even where writes fail)."""
    reason = None if os.access(folder, os.W_OK | os.X_OK) else "permission denied"
    if reason is None:
        try:
            tempfile.TemporaryFile(dir=folder).close()
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
    if reason:
        raise UserError(f"{what}: cannot write in {folder} ({reason}); {fix}")


def clear_own(folder: Path, keep: Iterable[str] = ()) -> None:
    """Delete automl's entries of a run folder, one by one; anything else stays (checked before, kept anyway)."""
    kept = set(keep)
    for entry in folder.iterdir():
        if entry.name in kept or not is_own(entry):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()


def _names(entries: list[Path]) -> str:
    shown = ", ".join(e.name + ("/" if e.is_dir() else "") for e in entries[:_LISTED])
    return shown + (f" and {len(entries) - _LISTED} more" if len(entries) > _LISTED else "")


# -- outputs --------------------------------------------------------------------------------------------
def enclosing_run(path: Path) -> Path | None:
    """The run folder ``path`` is in (or is): the nearest folder, walking up, that holds a run.json."""
    for folder in (path, *path.parents):
        if (folder / MANIFEST).is_file():
            return folder
    return None


def check_out(out: Path, overwrite: bool, inputs: Iterable[Path | None] = ()) -> None:
    """Refuse an ``--out`` that would destroy something: an input, a run's file, or (without --overwrite) a file."""
    target = out.resolve()
    if out.is_dir():
        raise UserError(f"--out {out} is a folder; give a file name, e.g. {out / 'out'}{out.suffix or ''}")
    for given in inputs:
        if given is not None and given.exists() and _same(target, given.resolve()):
            raise UserError(f"--out {out} is the input file {given}; write to another file")
        if given is not None and given.is_dir() and given.resolve() in target.parents:
            raise UserError(f"--out {out} is inside the input folder {given}; write outside it")
    run = enclosing_run(target.parent)
    if run is not None:
        raise UserError(
            f"--out {out} is inside the run folder {run}, whose files automl owns; write outside it"
        )
    if out.is_symlink() or (out.exists() and not out.is_file()):
        raise UserError(f"--out {out} is not a regular file; write to another file")
    if out.exists() and not overwrite:
        raise UserError(f"--out {out} exists; pass --overwrite to replace it, or choose another file")
    existing = target.parent
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        raise UserError(f"--out {out}: {existing} is a file, not a folder")
    _check_writable(existing, f"--out {out}", "choose another --out")


def _same(a: Path, b: Path) -> bool:
    try:
        return a == b or (a.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def write_output(out: Path, content: str | bytes) -> Path:
    """Write an output file atomically, creating its folder; a failure is one error line, no partial file."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        return atomic.write_bytes(out, data)
    except OSError as exc:
        raise UserError(f"cannot write {out} ({exc.strerror or type(exc).__name__}); choose another --out") from None
