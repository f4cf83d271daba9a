"""The run folder's own entries are what automl made of them, checked before ``automl resume`` writes to them.

A received or damaged run folder may hold a file where automl keeps a folder
(``best``, ``artifacts``), a folder or a link where it keeps a lock file, or a
``best/`` that is a link to somewhere else. Resuming would then fail deep in a
rename or a lock with a traceback, or write through the link. This check turns
each of these into one error line naming the entry, before the run is locked.

A link is allowed where people make one on purpose: ``artifacts/`` may point to
a bigger disk. ``best/`` never: resume replaces it, and its checksums cover
what is inside it, not where it points; nor the journal, which resume appends
to (through a link, that would be another run's journal or any file).
"""

from __future__ import annotations

import stat
from pathlib import Path

from automl.errors import UserError

FOLDERS = ("best", "artifacts")
FILES = ("run.json", "study.journal", "run.lock", "ask.lock", "leaderboard.csv", "report.html", "report.md")
NO_LINKS = ("best", "run.json", "study.journal", "run.lock", "ask.lock")
_FIX = "the run folder is damaged or was modified; restore it from a copy or start a new run"


def check_for_resume(run: Path) -> None:
    """One :class:`UserError` for the first entry of ``run`` that is not the kind automl made."""
    for name in (*FOLDERS, *FILES):
        path = run / name
        if name in NO_LINKS and path.is_symlink():
            raise UserError(f"{path} is a symbolic link, which automl never makes; {_FIX}")
        try:
            mode = path.stat().st_mode
        except FileNotFoundError:
            if path.is_symlink():
                raise UserError(f"{path} is a link to nothing; {_FIX}") from None
            continue
        except OSError as exc:
            raise UserError(f"{path} cannot be read ({exc.strerror or type(exc).__name__}); {_FIX}") from None
        if name in FOLDERS and not stat.S_ISDIR(mode):
            raise UserError(f"{path} is not a folder; {_FIX}")
        if name in FILES and not stat.S_ISREG(mode):
            raise UserError(f"{path} is not a regular file; {_FIX}")
