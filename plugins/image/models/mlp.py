"""A multi-layer perceptron on the flattened, downsampled image.

Weaker than a CNN on most images, but fast, and sometimes enough for tiny
or very regular images (icons, scans); the search decides.
"""

from __future__ import annotations

from typing import Any

from automl.kit import SearchContext
from automl_plugins.image.models import recipe


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "resolution": trial.suggest_categorical("resolution", ["tiny", "small", "medium"]),
        "layers": trial.suggest_int("layers", 1, 3),
        "width": trial.suggest_categorical("width", [128, 256, 512, 1024]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        "batch_norm": trial.suggest_categorical("batch_norm", [False, True]),
        **recipe.recipe_space(trial, ctx),
        **recipe.augment_space(trial, ctx),
    }


DEFAULTS = {
    "resolution": "small", "layers": 2, "width": 512, "dropout": 0.2, "batch_norm": True,
    "optimizer": "adamw", "lr_adamw": 1e-3, "weight_decay": 1e-4, "batch_size": 128, "schedule": "cosine",
    "epochs": 20, "label_smoothing": 0.05, "shift": 0.08, "flip": "none", "rotation": 0, "color_jitter": 0.0,
}

MLP = recipe.model_spec("mlp", search_space, DEFAULTS, cheap=False,
                        description="multi-layer perceptron on downsampled pixels, pruned epoch by epoch")
