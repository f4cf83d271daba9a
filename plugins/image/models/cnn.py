"""The convolutional family: VGG-style blocks whose depth, width and head are searched.

Each block is one or two convolutions (with optional batch norm) followed by
max or average pooling or a strided convolution; channels double for the first
three blocks. The head is global average pooling (few weights, robust to
where an object sits) or flatten (keeps position, good for centred digits),
then an optional dense layer. The portfolio holds strong recipes for the two
common cases, centred symbols and photos, so the search starts from a good
network either way.
"""

from __future__ import annotations

from typing import Any

from automl.kit import SearchContext
from automl_plugins.image.models import recipe


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "resolution": trial.suggest_categorical("resolution", ["small", "medium", "large"]),
        "blocks": trial.suggest_int("blocks", 2, 5),
        "width": trial.suggest_categorical("width", [16, 32, 48, 64]),
        "block_depth": trial.suggest_int("block_depth", 1, 2),
        "kernel": trial.suggest_categorical("kernel", [3, 5]),
        "batch_norm": trial.suggest_categorical("batch_norm", [False, True]),
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        "pool": trial.suggest_categorical("pool", ["max", "avg", "stride"]),
        "head": trial.suggest_categorical("head", ["gap", "flatten"]),
        "dense": trial.suggest_categorical("dense", [0, 64, 128, 256]),
        **recipe.recipe_space(trial, ctx, epochs=(5, 40)),
        **recipe.augment_space(trial, ctx),
    }


# Centred symbols (digits, icons, scans): two convolutions per block, flatten head, shifts and small
# rotations but no flips; AdamW with a cosine schedule and light label smoothing.
SYMBOLS = {
    "resolution": "small", "blocks": 3, "width": 16, "block_depth": 2, "kernel": 3, "batch_norm": True,
    "dropout": 0.3, "pool": "max", "head": "flatten", "dense": 128,
    "optimizer": "adamw", "lr_adamw": 2e-3, "weight_decay": 1e-4, "batch_size": 64, "schedule": "cosine",
    "epochs": 15, "label_smoothing": 0.1, "shift": 0.08, "flip": "none", "rotation": 10, "color_jitter": 0.0,
}
# Photos (products, defects): global average pooling, flips and colour jitter, SGD with momentum.
PHOTOS = {
    "resolution": "medium", "blocks": 4, "width": 32, "block_depth": 1, "kernel": 3, "batch_norm": True,
    "dropout": 0.2, "pool": "max", "head": "gap", "dense": 0,
    "optimizer": "sgd", "lr_sgd": 0.05, "weight_decay": 5e-4, "batch_size": 64, "schedule": "cosine",
    "epochs": 20, "label_smoothing": 0.1, "shift": 0.08, "flip": "horizontal", "rotation": 10,
    "color_jitter": 0.1,
}

CNN = recipe.model_spec(
    "cnn", search_space, SYMBOLS, portfolio=(SYMBOLS, PHOTOS), cheap=False,
    description="convolutional network (2-5 blocks) with a searched training recipe, pruned epoch by epoch")
