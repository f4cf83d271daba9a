"""Types and values of ``run.json`` (and the shape of ``best/model.json``), checked before any of it is used.

``run.json`` is plain JSON that anyone holding the run directory can edit.
Its values choose plugins (``task``, ``models``, ``metric``), seed the search,
size the budget and point at the training data, so a value of the wrong type
(``"seed": "0; rm -rf"``, ``"models": "lightgbm"``) or an injected one
(``"task": "../../x"``) must fail here, with one line naming the key, and not
deep inside the search or a plugin. Keys that older runs lack are optional;
unknown keys are kept (plugins and newer versions may add some).

Editing ``run.json`` after the run finished is caught separately: its hash is
recorded beside the final model (see :mod:`automl.checksums`).
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from automl.errors import UserError

DIRECTIONS = ("minimize", "maximize")
# plugin, model, metric and kind names: no spaces, slashes or shell characters
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@:+-]{0,99}")
_MAX_TEXT = 10_000
MAX_JSON_BYTES = 64 << 20  # run.json, model.json and the like hold kilobytes; a bigger file is not automl's


def read_json(path: Path, limit: int = MAX_JSON_BYTES) -> Any:
    """The content of a JSON file of a run folder, read only if it is a regular file of at most ``limit`` bytes.

    Raises ``OSError`` (unreadable, not a regular file), ``UnicodeDecodeError`` or ``ValueError`` (too big, not
    JSON, nested too deep for the parser): the caller turns each into one line naming the file. A file of
    gigabytes (a sparse file, ``/dev/zero`` behind a link) is refused before it is read.
    """
    info = path.stat()  # before opening: opening a FIFO would wait for a writer
    if not stat.S_ISREG(info.st_mode):
        raise OSError(f"{path.name} is not a regular file")
    if info.st_size > limit:
        raise ValueError(f"{info.st_size:,} bytes, more than the {limit:,} automl ever writes")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"more than the {limit:,} bytes automl ever writes")
    try:
        return json.loads(data.decode("utf-8"))
    except RecursionError:
        raise ValueError("nested too deeply to be automl's JSON") from None


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite number that fits a float (``10**400`` is an int JSON reads, but no budget or size)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except OverflowError:
        return False


def _name(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a name (text)"
    return None if NAME.fullmatch(value) else f"must be a plain name (letters, digits, _ . - @ : +), not {value!r}"


def _text(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be text"
    return None if len(value) <= _MAX_TEXT and "\x00" not in value else "is not plain text"


def _optional(check: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    return lambda value: None if value is None else check(value)


def _positive_number(value: Any) -> str | None:
    return None if _is_number(value) and value > 0 else "must be a positive number"


def _positive_int(value: Any) -> str | None:
    return None if _is_int(value) and value >= 1 else "must be a whole number of at least 1"


def _seed(value: Any) -> str | None:
    return None if _is_int(value) and 0 <= value < 2**32 else "must be a whole number from 0 to 2**32 - 1"


def _direction(value: Any) -> str | None:
    return None if value in DIRECTIONS else f"must be 'minimize' or 'maximize', not {value!r}"


def _models(value: Any) -> str | None:
    if not isinstance(value, list) or not value:
        return "must be a non-empty list of model names"
    for item in value:
        problem = _name(item)
        if problem:
            return f"holds {item!r}, which {problem}"
    return None


def _object(value: Any) -> str | None:
    return None if isinstance(value, dict) else "must be an object ({...})"


def _format_version(value: Any) -> str | None:
    return None if _is_int(value) else "must be a whole number"


CHECKS: dict[str, Callable[[Any], str | None]] = {
    "format_version": _format_version,
    "task": _name,
    "kind": _name,
    "metric": _name,
    "direction": _direction,
    "seed": _seed,
    "models": _models,
    "name": _optional(_text),
    "created": _optional(_text),
    "finished": _optional(_text),
    "status": _optional(_name),
    "command": _optional(_text),
    "target": _optional(lambda v: None if _is_int(v) else _text(v)),
    "task_options": _optional(_object),
    "time_budget": _optional(_positive_number),
    "trials": _optional(_positive_int),
    "trial_timeout": _optional(_positive_number),
    "workers": _optional(_positive_int),
    "storage": _optional(_text),
    "study": _optional(_text),
    "artifacts": _optional(_text),
    "data": _optional(_object),
    "versions": _optional(_object),
    "preset": _optional(_object),
}
DATA_CHECKS: dict[str, Callable[[Any], str | None]] = {
    "path": _optional(_text),
    "fingerprint": _optional(_text),
    "rows": _optional(lambda v: None if _is_int(v) and v >= 0 else "must be a whole number"),
    "summary": _optional(_object),
}


REQUIRED = ("format_version", "task", "kind", "metric", "direction", "seed", "models")


def check_required(manifest: Any, path: Path, format_version: int) -> None:
    """A one-line :class:`UserError` if ``run.json`` is no object, lacks a required key or is of another version."""
    if not isinstance(manifest, dict):
        raise UserError(f"{path} is not a JSON object; the run is damaged or was edited")
    missing = [k for k in REQUIRED if k not in manifest]
    if missing:
        raise UserError(f"{path} lacks {', '.join(missing)}; the run is damaged or was edited")
    if manifest["format_version"] != format_version:
        raise UserError(f"{path} has format version {manifest['format_version']}; "
                        f"this automl reads version {format_version}")


def check_values(manifest: Any, path: Path) -> None:
    """A one-line :class:`UserError` naming the first key of ``run.json`` whose type or value is wrong."""
    if not isinstance(manifest, dict):
        raise UserError(f"{path} is not a JSON object; the run is damaged or was edited")
    for key, check in CHECKS.items():
        if key in manifest:
            _fail_on(check(manifest[key]), key, path)
    data = manifest.get("data") or {}
    for key, check in DATA_CHECKS.items():
        if key in data:
            _fail_on(check(data[key]), f"data.{key}", path)
    versions = manifest.get("versions") or {}
    for name, value in versions.items():
        if not isinstance(value, str):
            _fail_on("must be a version string", f"versions.{name}", path)


def check_model(description: Any, path: Path) -> None:
    """A one-line :class:`UserError` unless ``best/model.json`` holds a task name and a list of member objects.

    Enough for :meth:`automl.records.ModelRecord.from_json`; the values of a member are checked before it is
    loaded (:func:`automl.integrity.member_folder`).
    """
    if not isinstance(description, dict) or not isinstance(description.get("members"), list) \
            or not isinstance(description.get("task"), str):
        raise UserError(f"{path} does not describe a model (task and members); the run directory is damaged")
    for index, member in enumerate(description["members"]):
        if not isinstance(member, dict):
            raise UserError(f"member {index} of {path} is not an object; the run directory was modified or is "
                            "corrupt; refusing to load it")


def _fail_on(problem: str | None, key: str, path: Path) -> None:
    if problem:
        raise UserError(f"key '{key}' of {path} {problem}; the run was edited or is damaged: restore run.json "
                        "or start a new run")
