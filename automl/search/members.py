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


def load_member(spec: ModelSpec, folder: Path, member: dict[str, Any]) -> Any:
    folds = int(member.get("folds") or 0)
    if not folds:
        return spec.load(folder)
    models = [spec.load(folder / FOLD_FOLDER.format(index)) for index in range(folds)]
    return models[0] if folds == 1 else FoldAverage(models)
