"""Checksums of the final model: a tampered, foreign or corrupt ``best/`` is refused before it is loaded.

A run directory travels: it is mailed, copied to a server, kept in a bucket.
Loading its model must not run code (each library's own safe format is used),
and it must not load something other than what the run produced either. So:

- **Recording.** When :func:`automl.search.finalize.refit_and_save` has written
  the final model (still in its staging folder, before the atomic rename to
  ``best/``), :func:`record` writes ``best/checksums.json``: the SHA-256 of
  every file under ``best/`` (the checksum file itself aside), and the SHA-256
  of ``run.json``. A file automl itself adds to ``best/`` later (the deployment
  measurements, :mod:`automl.evidence.deployment`, and the report parts saved
  when the fit finishes, :mod:`automl.evidence.cache`) is added with :func:`add_file`.
- **run.json.** Its hash is taken over its content as canonical JSON (sorted
  keys, no whitespace) without the keys automl rewrites after the model is
  saved: ``status`` and ``finished`` (written right after the refit, and
  ``status`` again by ``automl resume``, which refits and re-records anyway).
  Every other change to ``run.json`` after the run finished is reported as
  "run.json changed after the run finished". ``automl resume`` may rewrite
  ``run.json`` while a run is in progress; only loading a finished model checks
  the hash.
- **Verifying.** :func:`verify` runs before anything under ``best/`` is read by
  :class:`automl.Run` (model description, schema, members): every recorded
  file must be present and match, no other file may be there (operating-system
  clutter such as ``.DS_Store`` aside), and no entry may be a symbolic link.
  A mismatch is one :class:`UserError` naming the file.
- **Member paths.** A member's folder in ``model.json`` must be a relative path
  inside ``best/``: ``../x``, an absolute path or a link out is refused
  (:func:`member_folder`), for runs with checksums and for older ones.
- **Signature.** The checksums are signed with an HMAC-SHA256 keyed by this
  machine's key (:mod:`automl.signing`), which never travels with the run:
  whoever rewrites a file can rewrite its checksum, but not the signature.
  :func:`verify` tells a folder signed here (``"signed"``) from a *foreign*
  one (no signature, or another key's: ``"foreign"``). A foreign folder still
  loads, with one :class:`automl.errors.ForeignRunWarning` (a ``note:`` line);
  its models are loaded first in a child process (:mod:`automl.probe`).
- **Older runs** (saved before checksums existed) still load, with one
  :class:`automl.errors.UnverifiedRunWarning` (``"unverified"``).

Values of ``run.json`` are checked separately, on every open
(:mod:`automl.manifest_check`).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import warnings
from pathlib import Path, PurePosixPath
from typing import Any

from automl import atomic, signing
from automl.errors import ForeignRunWarning, UnverifiedRunWarning, UserError
from automl.manifest_check import read_json
from automl.records import MemberRecord

CHECKSUMS = "checksums.json"
FORMAT = 1
VOLATILE_KEYS = frozenset({"status", "finished"})  # run.json keys automl rewrites after saving the model
IGNORED_NAMES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_HEX = re.compile(r"[0-9a-f]{64}")
_REFUSE = "the run directory was modified or is corrupt; refusing to load it"
SIGNATURE_PURPOSE = "checksums"
SIGNED, FOREIGN, UNVERIFIED = "signed", "foreign", "unverified"


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def manifest_digest(manifest: dict[str, Any]) -> str:
    """SHA-256 of run.json's content without the keys automl rewrites after the model is saved."""
    kept = {k: v for k, v in manifest.items() if k not in VOLATILE_KEYS}
    text = json.dumps(kept, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _files(folder: Path) -> dict[str, Path]:
    """Every file under ``folder`` by its relative POSIX path (the checksum file aside), links refused."""
    found: dict[str, Path] = {}
    for root, dirs, names in os.walk(folder):
        for name in sorted(dirs + names):
            path = Path(root) / name
            relative = path.relative_to(folder).as_posix()
            if path.is_symlink():
                raise UserError(f"{path} is a symbolic link, which automl never saves in a model; {_REFUSE}")
            if name in names and relative != CHECKSUMS and name not in IGNORED_NAMES:
                found[relative] = path
    return found


def _signed_bytes(content: dict[str, Any]) -> bytes:
    """What the signature covers: the recorded checksums (files and run.json) as canonical JSON."""
    covered = {k: content.get(k) for k in ("format", "algorithm", "files", "run_json")}
    return json.dumps(covered, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def _write(target: Path, content: dict[str, Any], sign: bool) -> None:
    content.pop("signature", None)
    if sign:
        signature = signing.sign(SIGNATURE_PURPOSE, _signed_bytes(content))
        if signature is not None:
            content["signature"] = signature
    atomic.write_text(target, json.dumps(content, indent=2) + "\n")


def record(folder: Path, manifest: dict[str, Any]) -> Path:
    """Write and sign ``folder/checksums.json`` for every file of the final model and for run.json's content."""
    entries = {name: file_digest(path) for name, path in sorted(_files(folder).items())}
    content = {"format": FORMAT, "algorithm": "sha256", "files": entries, "run_json": manifest_digest(manifest)}
    target = folder / CHECKSUMS
    _write(target, content, sign=True)
    return target


def add_file(folder: Path, name: str) -> None:
    """Record (or re-record) one file automl itself wrote into a saved ``best/``; a no-op for older runs.

    The checksums are signed again only when this machine had signed them: a
    foreign folder must not become "signed here" by gaining one file.
    """
    target = folder / CHECKSUMS
    if not target.is_file():
        return
    content = _read(target)
    was_signed = signing.check(SIGNATURE_PURPOSE, _signed_bytes(content), content.get("signature")) == "signed"
    content["files"][name] = file_digest(folder / name)
    _write(target, content, sign=was_signed)


def _read(path: Path) -> dict[str, Any]:
    try:
        content = read_json(path)
    except (OSError, ValueError) as exc:  # ValueError covers JSONDecodeError, UnicodeDecodeError, too deep
        raise UserError(f"{path} is unreadable or not JSON; {_REFUSE}") from exc
    files = content.get("files") if isinstance(content, dict) else None
    valid = (
        isinstance(files, dict)
        and all(isinstance(k, str) and isinstance(v, str) and _HEX.fullmatch(v) for k, v in files.items())
        and isinstance(content.get("run_json"), str)
    )
    if not valid:
        raise UserError(f"{path} is not a checksum file written by automl; {_REFUSE}")
    return content


def verify(best: Path, manifest: dict[str, Any], manifest_path: Path) -> str:
    """Check every file of ``best/`` and run.json against ``best/checksums.json``, then its signature.

    Returns ``"signed"`` (signed by this machine's key), ``"foreign"`` (no
    signature, or another key's; one :class:`ForeignRunWarning`) or
    ``"unverified"`` (an older run without checksums; one
    :class:`UnverifiedRunWarning`). Raises a :class:`UserError` naming the first
    file that differs, is missing or was added.
    """
    target = best / CHECKSUMS
    if target.is_symlink() or (target.exists() and not target.is_file()):
        raise UserError(f"{target} is not a regular file; {_REFUSE}")
    if not target.exists():
        warnings.warn(
            f"run {best.parent} has no {best.name}/{CHECKSUMS} (it was saved by an older automl), so its final "
            "model is loaded without checking that it is the one the run saved",
            UnverifiedRunWarning,
            stacklevel=3,
        )
        return UNVERIFIED
    content = _read(target)
    recorded: dict[str, str] = content["files"]
    present = _files(best)
    for name, digest in sorted(recorded.items()):
        _check_relative(name, best)
        path = present.get(name)
        if path is None:
            raise UserError(f"{best / name} is missing: it was recorded when the run finished; {_REFUSE}")
        if file_digest(path) != digest:
            raise UserError(
                f"{path} does not match the checksum recorded when the run finished; {_REFUSE}"
            )
    extra = sorted(set(present) - set(recorded))
    if extra:
        raise UserError(f"{best / extra[0]} was not there when the run finished; {_REFUSE}")
    if manifest_digest(manifest) != content["run_json"]:
        raise UserError(
            f"{manifest_path} changed after the run finished (only 'status' and 'finished' may change); the run "
            "directory was modified or is corrupt; refusing to load its model: restore run.json or refit"
        )
    verdict = signing.check(SIGNATURE_PURPOSE, _signed_bytes(content), content.get("signature"))
    if verdict == "signed":
        return SIGNED
    how = "it is signed by another machine's key" if verdict == "other-key" else "it carries no signature"
    warnings.warn(
        f"run {best.parent} was not signed on this machine ({how}): it was made elsewhere or its checksums "
        "were rewritten; its model is used as it is, loaded from safe formats and tried in a separate process first",
        ForeignRunWarning,
        stacklevel=3,
    )
    return FOREIGN


def _check_relative(name: Any, best: Path) -> PurePosixPath:
    text = str(name)
    pure = PurePosixPath(text.replace("\\", "/"))
    if not text or pure.is_absolute() or ".." in pure.parts or re.match(r"^[A-Za-z]:", text):
        raise UserError(f"path {text!r} in {best} leaves the model folder; {_REFUSE}")
    return pure


def member_folder(best: Path, member: MemberRecord, index: int) -> Path:
    """The folder of member ``index`` of ``model.json``: a relative path that stays inside ``best/``.

    The member's other values are checked here too, before it is loaded: ``model.json`` may have been edited
    and its checksums rewritten, and :class:`MemberRecord` holds its values as read.
    """
    where = f"member {index} of {best / 'model.json'}"
    relative = member.path
    if not isinstance(relative, str):
        raise UserError(f"{where} has no folder path; {_REFUSE}")
    pure = _check_relative(relative, best)
    folder = best.joinpath(*pure.parts)
    root = best.resolve()
    resolved = folder.resolve()
    if resolved == root or root not in resolved.parents:
        raise UserError(f"the folder {relative!r} of {where} leaves {best}; {_REFUSE}")
    folds = member.folds
    if folds is not None and not (isinstance(folds, int) and not isinstance(folds, bool) and 0 <= folds <= 1000):
        raise UserError(f"{where} has an invalid 'folds' value {folds!r}; {_REFUSE}")
    weight = member.weight
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight == weight:
        raise UserError(f"{where} has an invalid 'weight' value {weight!r}; {_REFUSE}")
    if not isinstance(member.model, str):
        raise UserError(f"{where} has no model name; {_REFUSE}")
    return folder
