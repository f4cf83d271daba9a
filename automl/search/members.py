"""Members of the final model: refit on all the data, or the trial's own fold models when a refit would not fit.

A fine-tuned Transformer or a large network can take longer to refit than the
reserve the budget keeps; its fold models were already trained and validated,
so they are saved as they are (averaged when there are several) instead of
overrunning the budget.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from automl.errors import UserError
from automl.records import MemberRecord
from automl.specs import ModelSpec

FOLD_FOLDER = "fold_{}"


class FoldAverage:
    """Averages the predictions of the models fitted on each fold."""

    def __init__(self, models: list[Any]) -> None:
        self.models = models

    def predict(self, X: Any) -> np.ndarray:
        return np.mean([np.asarray(m.predict(X), dtype=float) for m in self.models], axis=0)


def save_folds(spec: ModelSpec, models: list[Any], folder: Path) -> int:
    for index, model in enumerate(models):
        target = folder / FOLD_FOLDER.format(index)
        target.mkdir()
        spec.save(model, target)
    return len(models)


def load_member(spec: ModelSpec, folder: Path, member: MemberRecord) -> Any:
    """Member ``member`` of the final model from ``folder``: its refit model, or its fold models averaged."""
    folds = member.n_folds
    if not folds:
        return _a_model(spec.load(folder), folder)
    models = [_a_model(spec.load(folder / FOLD_FOLDER.format(i)), folder / FOLD_FOLDER.format(i)) for i in range(folds)]
    return models[0] if folds == 1 else FoldAverage(models)


def _a_model(loaded: Any, folder: Path) -> Any:
    """What a loader rebuilt must at least be a model: a safe format can still hold a harmless non-model object
    (a dict in a skops file), which would otherwise fail later with a traceback at predict."""
    if not callable(getattr(loaded, "predict", None)):
        raise UserError(f"the model in {folder} is a {type(loaded).__name__}, not a model automl saved; the run "
                        "directory was modified or is corrupt; refusing to load it")
    return loaded
