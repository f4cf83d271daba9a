"""Report parts computed once when the fit finishes, saved in ``best/`` for every later report.

Some report sections are slow to compute (a tabular run's column importances
take seconds of predictions), yet they depend only on the final model and its
validation predictions, which never change once the run is saved. So a plugin
computes them in its ``automl_fit_finished`` hook and saves them here, and
``automl report`` only reads them back.

What is saved is plain JSON (never a pickle) in ``best/``, recorded in
``best/checksums.json`` (:func:`automl.integrity.add_file`), so it is covered
by the same checksums and signature as the model: changing it afterwards makes
the run refuse to load, like changing the model. Each file also carries the
*model key*, the SHA-256 of ``model.json`` and ``validation.npz``: a file that
belongs to another model (copied from another run, or left by an older refit)
is not used. Whatever cannot be read, is too big or is for another model comes
back as ``None``, with a log line: the caller computes the part as it did
before, or leaves it out with a note, and never shows numbers of another model.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from automl import atomic, integrity
from automl.manifest_check import read_json

FORMAT = 1
MAX_BYTES = 4 << 20  # a section's numbers: kilobytes; anything bigger was not written here
KEYED_FILES = ("model.json", "validation.npz")  # what the saved numbers were computed from
log = logging.getLogger(__name__)


def model_key(best: Path) -> str:
    """SHA-256 over the final model's description and its validation predictions (missing files count as empty)."""
    digest = hashlib.sha256()
    for name in KEYED_FILES:
        path = best / name
        digest.update(f"{name}:{integrity.file_digest(path) if path.is_file() else '-'};".encode())
    return digest.hexdigest()


def save_json(best: Path, name: str, content: Any) -> Path:
    """Write ``best/NAME`` (plain JSON, with the model key) and record it in the checksums of ``best/``."""
    _check_name(name)
    path = best / name
    text = json.dumps({"format": FORMAT, "model": model_key(best), "content": content}, allow_nan=False)
    if len(text.encode()) > MAX_BYTES:
        raise ValueError(f"{name} would hold {len(text):,} bytes, more than the {MAX_BYTES:,} a saved part may")
    atomic.write_text(path, text + "\n")
    integrity.add_file(best, name)  # written after the model was recorded: recorded now
    return path


def load_json(run: Any, name: str) -> Any | None:
    """The content saved as ``best/NAME`` for this run's final model, or None (missing, unreadable or stale).

    ``run`` is an :class:`automl.api.Run`; its checksums are verified first
    (raising :class:`automl.errors.UserError` for a modified ``best/``). The
    content's own types are the caller's to check.
    """
    _check_name(name)
    path = run.dir.best / name
    run.verify()  # first: a recorded file deleted, or replaced by a link, is a modified run, not a missing part
    if not path.is_file():
        return None  # a run saved before this part was cached, or one whose fit had no time left for it
    try:
        saved = read_json(path, MAX_BYTES)
    except (OSError, ValueError) as exc:
        log.warning("%s is unreadable (%s); it is computed again", path, exc)
        return None
    if not isinstance(saved, dict) or saved.get("format") != FORMAT or "content" not in saved:
        log.warning("%s was not written by this automl; it is computed again", path)
        return None
    if saved.get("model") != model_key(run.dir.best):
        log.warning("%s belongs to another model than this run's; it is computed again", path)
        return None
    return saved["content"]


def _check_name(name: str) -> None:
    if not name or "/" in name or "\\" in name or name.startswith(".") or not name.endswith(".json"):
        raise ValueError(f"a saved report part is a plain .json file name in best/, not {name!r}")
