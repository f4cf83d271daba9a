"""Per-trial artifacts: the fitted fold models and their validation predictions.

They go through Optuna's artifact store, so a shared store (a network path or
S3) serves workers on many machines. Models are pickled here, and only here:
the store belongs to the run, and every file's SHA-256 is recorded on its trial
and checked before it is unpickled, so a swapped or corrupted file is refused.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import optuna
from optuna.artifacts import download_artifact, upload_artifact

from automl.errors import UserError

MODELS_ATTR = "artifact_models"
PREDICTIONS_ATTR = "artifact_predictions"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _upload(store: Any, trial: optuna.Trial, file: Path) -> dict[str, Any]:
    artifact_id = upload_artifact(artifact_store=store, file_path=str(file), study_or_trial=trial)
    return {"id": artifact_id, "sha256": _sha256(file), "bytes": file.stat().st_size}


def save_trial(store: Any, trial: optuna.Trial, models: list[Any], predictions: np.ndarray) -> int:
    """Upload the fold models and validation predictions; returns the model size in bytes."""
    with tempfile.TemporaryDirectory() as tmp:
        model_file = Path(tmp) / "models.joblib"
        joblib.dump(models, model_file, compress=3)
        pred_file = Path(tmp) / "predictions.npy"
        np.save(pred_file, predictions, allow_pickle=False)
        model_ref = _upload(store, trial, model_file)
        pred_ref = _upload(store, trial, pred_file)
    trial.set_user_attr(MODELS_ATTR, model_ref)
    trial.set_user_attr(PREDICTIONS_ATTR, pred_ref)
    return int(model_ref["bytes"])


def _download_checked(store: Any, ref: dict[str, Any], trial_number: int) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "artifact"
        download_artifact(artifact_store=store, file_path=str(target), artifact_id=ref["id"])
        data = target.read_bytes()
    if hashlib.sha256(data).hexdigest() != ref["sha256"]:
        raise UserError(
            f"artifact of trial {trial_number} does not match its recorded checksum; "
            "the run directory was modified or corrupted, so it is not loaded"
        )
    return data


def load_predictions(store: Any, trial: optuna.trial.FrozenTrial) -> np.ndarray:
    data = _download_checked(store, trial.user_attrs[PREDICTIONS_ATTR], trial.number)
    return np.load(io.BytesIO(data), allow_pickle=False)


def load_models(store: Any, trial: optuna.trial.FrozenTrial) -> list[Any]:
    data = _download_checked(store, trial.user_attrs[MODELS_ATTR], trial.number)
    return joblib.load(io.BytesIO(data))
