"""Per-trial artifacts: the fitted fold models and their validation predictions, in formats that run no code.

They go through Optuna's artifact store, so a shared store (a network path or
S3) serves workers on many machines. Nothing here is pickled: a run folder
travels, and ``automl report`` and ``automl resume`` read these files.

- **Fold models** are saved by their own :class:`automl.specs.ModelSpec.save`
  (LightGBM text, skops with an exact type list, safetensors plus JSON, npz,
  JSON: the formats of ``best/``) into ``fold_<i>/`` folders, packed into one
  zip archive. Loading unpacks it into a temporary folder with strict limits
  (:func:`safe_extract`: no absolute paths, ``..``, links or special entries;
  bounded entry count and size) and rebuilds each fold with ``ModelSpec.load``.
- **Predictions** are one ``.npy`` array, read with ``allow_pickle=False``.
- **Checks.** Each reference on the trial holds the file's SHA-256 and an HMAC
  by this machine's key (:mod:`automl.signing`). The SHA-256 lives in the
  journal next to the file, so it only catches accidents; the HMAC says
  whether this machine wrote the reference. An archive without a valid HMAC
  (another worker's machine, or a tampered journal) is loaded first in a child
  process (:mod:`automl.probe`), so a native crash in a model's reader becomes
  one error line.
- Trials saved by an older automl (a joblib pickle) are never unpickled:
  :func:`has_models` is false for them, so the final model is refit instead
  and the report leaves their importances out.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
import shutil
import stat
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import Any

import numpy as np
import optuna
from optuna.artifacts import download_artifact, upload_artifact

from automl import probe, signing
from automl.errors import UserError

MODELS_ATTR = "artifact_models"
PREDICTIONS_ATTR = "artifact_predictions"
MODELS_FORMAT = "fold-archive/1"  # a zip of fold_<i>/ folders, each written by ModelSpec.save
FOLD_FOLDER = "fold_{}"
MAX_ARCHIVE_BYTES = 4 << 30  # a fine-tuned Transformer's folds are a few GB at most
MAX_UNPACKED_BYTES = 8 << 30
MAX_ENTRIES = 20_000
MAX_FOLDS = 1000
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")  # optuna's ids are UUIDs; never a path
_HEX = re.compile(r"[0-9a-f]{64}")
_DAMAGED = "the run directory was modified or is corrupt, so it is not loaded"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _ref_bytes(artifact_id: str, sha256: str) -> bytes:
    return f"{artifact_id}:{sha256}".encode()


def _upload(store: Any, trial: optuna.Trial, file: Path) -> dict[str, Any]:
    artifact_id = upload_artifact(artifact_store=store, file_path=str(file), study_or_trial=trial)
    sha256 = _sha256(file)
    ref: dict[str, Any] = {"id": artifact_id, "sha256": sha256, "bytes": file.stat().st_size}
    signature = signing.sign("artifact", _ref_bytes(artifact_id, sha256))
    if signature is not None:
        ref["signature"] = signature
    return ref


def pack_models(spec: Any, models: list[Any], archive: Path) -> None:
    """Save each fold model with ``spec.save`` into ``fold_<i>/`` and zip the folders into ``archive``."""
    with tempfile.TemporaryDirectory(prefix="automl-folds-") as tmp:
        root = Path(tmp)
        for index, model in enumerate(models):
            folder = root / FOLD_FOLDER.format(index)
            folder.mkdir()
            spec.save(model, folder)
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=3) as zf:
            for path in sorted(root.rglob("*")):
                if path.is_file() and not path.is_symlink():
                    zf.write(path, path.relative_to(root).as_posix())


def save_trial(store: Any, trial: optuna.Trial, spec: Any, models: list[Any], predictions: np.ndarray) -> int:
    """Upload the fold models and validation predictions; returns the model archive's size in bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        model_file = Path(tmp) / "models.zip"
        pack_models(spec, models, model_file)
        return save_packed(store, trial, model_file, len(models), predictions)


def save_packed(store: Any, trial: optuna.Trial, model_file: Path, folds: int, predictions: np.ndarray) -> int:
    """Upload fold models already packed by :func:`pack_models` (in a trial's child process) and the predictions.

    An isolated trial packs its models itself: loading them back in the search
    process would run the libraries' OpenMP code there (LightGBM parses its
    trees in parallel), and a process forked after that hangs in its first
    parallel region.
    """
    with tempfile.TemporaryDirectory() as tmp:
        pred_file = Path(tmp) / "predictions.npy"
        np.save(pred_file, predictions, allow_pickle=False)
        model_ref = {**_upload(store, trial, model_file), "format": MODELS_FORMAT, "folds": folds}
        pred_ref = _upload(store, trial, pred_file)
    trial.set_user_attr(MODELS_ATTR, model_ref)
    trial.set_user_attr(PREDICTIONS_ATTR, pred_ref)
    return int(model_ref["bytes"])


def _valid_ref(ref: Any) -> bool:
    return (
        isinstance(ref, dict)
        and isinstance(ref.get("id"), str) and _ID.fullmatch(ref["id"]) is not None
        and isinstance(ref.get("sha256"), str) and _HEX.fullmatch(ref["sha256"]) is not None
    )


def has_models(trial: optuna.trial.FrozenTrial) -> bool:
    """Whether the trial's fold models can be loaded: saved by this automl's safe archive (never a pickle)."""
    ref = trial.user_attrs.get(MODELS_ATTR)
    return _valid_ref(ref) and ref.get("format") == MODELS_FORMAT


def is_signed(ref: dict[str, Any]) -> bool:
    """Whether this machine's key signed the reference (so its file is the one automl wrote here)."""
    return signing.check("artifact", _ref_bytes(ref["id"], ref["sha256"]), ref.get("signature")) == "signed"


def _download_checked(store: Any, ref: Any, trial_number: int, target: Path) -> Path:
    if not _valid_ref(ref):
        raise UserError(f"the artifact reference of trial {trial_number} is malformed; {_DAMAGED}")
    try:
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=ref["id"])
    except Exception as exc:  # noqa: BLE001 - a missing or unreadable file in any store backend
        raise UserError(f"the artifact of trial {trial_number} cannot be read ({type(exc).__name__}); "
                        f"{_DAMAGED}") from exc
    if target.is_symlink() or not target.is_file():
        raise UserError(f"the artifact of trial {trial_number} is not a regular file; {_DAMAGED}")
    if target.stat().st_size > MAX_ARCHIVE_BYTES:
        raise UserError(f"the artifact of trial {trial_number} is larger than {MAX_ARCHIVE_BYTES >> 30} GB; "
                        f"{_DAMAGED}")
    if _sha256(target) != ref["sha256"]:
        raise UserError(f"the artifact of trial {trial_number} does not match its recorded checksum; {_DAMAGED}")
    return target


def load_predictions(store: Any, trial: optuna.trial.FrozenTrial) -> np.ndarray:
    with tempfile.TemporaryDirectory() as tmp:
        path = _download_checked(store, trial.user_attrs.get(PREDICTIONS_ATTR), trial.number, Path(tmp) / "p.npy")
        data = path.read_bytes()
    bad = f"the validation predictions of trial {trial.number} are not a NumPy array of plain numbers; {_DAMAGED}"
    try:
        buffer = io.BytesIO(data)
        version = np.lib.format.read_magic(buffer)
        read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
            np.lib.format.read_array_header_2_0
        shape, _, dtype = read_header(buffer)
        # NumPy allocates the declared shape before reading: the header must describe exactly the bytes present
        if dtype.hasobject or math.prod(shape) * dtype.itemsize != len(data) - buffer.tell():
            raise UserError(bad)
        return np.load(io.BytesIO(data), allow_pickle=False)
    except (ValueError, OSError, EOFError, TypeError) as exc:
        raise UserError(bad) from exc


def _entry_path(info: zipfile.ZipInfo, where: str) -> PurePosixPath:
    name = info.filename
    pure = PurePosixPath(name)
    mode = info.external_attr >> 16
    if (not name or name.startswith(("/", "\\")) or "\\" in name or ".." in pure.parts
            or re.match(r"^[A-Za-z]:", name) or "\0" in name):
        raise UserError(f"{where} holds the path {name!r}, which leaves its folder; {_DAMAGED}")
    if info.is_dir():
        raise UserError(f"{where} holds a folder entry {name!r}, which automl never writes; {_DAMAGED}")
    if stat.S_IFMT(mode) not in (0, stat.S_IFREG):  # a type other than a regular file (no type: a plain file)
        raise UserError(f"{where} holds {name!r}, which is not a regular file (a link or a device); {_DAMAGED}")
    return pure


def safe_extract(archive: Path, target: Path, where: str) -> None:
    """Unpack a fold archive into ``target``: regular files only, inside it, within the size and count caps."""
    try:
        zf = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UserError(f"{where} is not a zip archive; {_DAMAGED}") from exc
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise UserError(f"{where} has {len(infos)} entries (at most {MAX_ENTRIES}); {_DAMAGED}")
        seen: set[str] = set()
        paths = []
        for info in infos:
            pure = _entry_path(info, where)
            if pure.as_posix() in seen:
                raise UserError(f"{where} holds {info.filename!r} twice; {_DAMAGED}")
            seen.add(pure.as_posix())
            paths.append((info, pure))
        if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
            raise UserError(f"{where} unpacks to more than {MAX_UNPACKED_BYTES >> 30} GB; {_DAMAGED}")
        written = 0
        try:
            for info, pure in paths:
                destination = target.joinpath(*pure.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as source, destination.open("xb") as sink:
                    while block := source.read(1 << 20):
                        written += len(block)
                        if written > MAX_UNPACKED_BYTES:  # the declared sizes lied
                            raise UserError(f"{where} unpacks to more than {MAX_UNPACKED_BYTES >> 30} GB; {_DAMAGED}")
                        sink.write(block)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError,
                NotImplementedError, ValueError) as exc:
            raise UserError(f"{where} is damaged ({type(exc).__name__}); {_DAMAGED}") from exc


def _fold_count(ref: dict[str, Any], root: Path, where: str) -> int:
    folds = ref.get("folds")
    if isinstance(folds, bool) or not isinstance(folds, int) or not 1 <= folds <= MAX_FOLDS:
        raise UserError(f"{where} records an invalid number of folds {folds!r}; {_DAMAGED}")
    for index in range(folds):
        if not (root / FOLD_FOLDER.format(index)).is_dir():
            raise UserError(f"{where} has no folder {FOLD_FOLDER.format(index)}; {_DAMAGED}")
    return folds


def copy_models(store: Any, trial: optuna.trial.FrozenTrial, folder: Path) -> int | None:
    """Unpack the trial's fold-model folders into ``folder`` as they are; the number of folds, or None when
    this machine did not sign the archive (then the models must be loaded, probed, and saved again).

    Loading and saving again cost a 300-tree forest's five folds 10 s at the end of a 20 s budget; the
    files this run wrote and signed are already in the model's own safe format.
    """
    ref = trial.user_attrs.get(MODELS_ATTR)
    if not (_valid_ref(ref) and ref.get("format") == MODELS_FORMAT and is_signed(ref)):
        return None
    where = f"the fold-model archive of trial {trial.number}"
    with tempfile.TemporaryDirectory(prefix="automl-folds-") as tmp:
        archive = _download_checked(store, ref, trial.number, Path(tmp) / "models.zip")
        safe_extract(archive, folder, where)
    return _fold_count(ref, folder, where)


def load_models(store: Any, trial: optuna.trial.FrozenTrial, spec: Any) -> list[Any]:
    """The trial's fold models, rebuilt with ``spec.load`` from the safe archive (probed first when foreign)."""
    ref = trial.user_attrs.get(MODELS_ATTR)
    where = f"the fold-model archive of trial {trial.number}"
    if _valid_ref(ref) and ref.get("format") != MODELS_FORMAT:
        raise UserError(f"{where} was saved by an older automl as a pickle, which is never loaded; "
                        "refit the run with 'automl fit ... --force'")
    with tempfile.TemporaryDirectory(prefix="automl-folds-") as tmp:
        archive = _download_checked(store, ref, trial.number, Path(tmp) / "models.zip")
        root = Path(tmp) / "models"
        root.mkdir()
        safe_extract(archive, root, where)
        archive.unlink()
        folds = _fold_count(ref, root, where)
        folders = [root / FOLD_FOLDER.format(i) for i in range(folds)]
        if not is_signed(ref):
            probe.probe_each(
                (f"{where} ({FOLD_FOLDER.format(i)})", lambda f=folder: spec.load(f))
                for i, folder in enumerate(folders)
            )
        models = [spec.load(folder) for folder in folders]
        shutil.rmtree(root, ignore_errors=True)
    return models
