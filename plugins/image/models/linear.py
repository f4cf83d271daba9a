"""The fast baseline: softmax regression on downsampled pixels, queued before everything else.

It trains with the same loop as the networks (so it reports epochs, stops
early and saves as safetensors), but has no hidden layer and no augmentation:
a few seconds on thousands of images gives the search a score to beat.
"""

from __future__ import annotations

from typing import Any

from automl.kit import SearchContext
from automl_plugins.image.models import recipe


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "resolution": trial.suggest_categorical("resolution", ["tiny", "small"]),
        **recipe.recipe_space(trial, ctx, optimizers=("adamw",), epochs=(5, 30)),
    }


DEFAULTS = {
    "resolution": "tiny", "optimizer": "adamw", "lr_adamw": 3e-3, "weight_decay": 1e-4, "batch_size": 128,
    "schedule": "cosine", "epochs": 15, "label_smoothing": 0.0,
}

LINEAR = recipe.model_spec("linear", search_space, DEFAULTS, cheap=True,
                           description="softmax regression on downsampled pixels (the fast baseline)")
