"""The training recipe every network family shares, and the JSON architecture description.

The recipe is searched together with the architecture: optimiser, learning
rate (named per optimiser, since AdamW and SGD want learning rates a hundred
times apart), weight decay, batch size, schedule, label smoothing, the number
of epochs (a cap and the schedule's horizon; early stopping picks the epoch
actually kept) and augmentation. Each augmentation is its own choice, because
the right ones depend on the data: flips are wrong for digits and right for
product photos.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from automl.kit import ModelSpec, SearchContext, require
from automl_plugins.image.backend import import_torch

RESOLUTIONS = {"tiny": 16, "small": 32, "medium": 64, "large": 128}
MIN_PIXELS = 8
LEARNING_RATES = {"adamw": (1e-4, 1e-2), "sgd": (3e-3, 0.3), "rmsprop": (1e-5, 3e-3)}


def pixels_for(resolution: str, side: int) -> int:
    """Input side in pixels: the named resolution, never above the images' own (median) side."""
    return max(MIN_PIXELS, min(RESOLUTIONS[resolution], int(side)))


def recipe_space(trial: Any, ctx: SearchContext, optimizers: tuple[str, ...] = ("adamw", "sgd", "rmsprop"),
                 epochs: tuple[int, int] = (5, 60)) -> dict[str, Any]:
    optimizer = trial.suggest_categorical("optimizer", list(optimizers))
    low, high = LEARNING_RATES[optimizer]
    return {
        "optimizer": optimizer,
        f"lr_{optimizer}": trial.suggest_float(f"lr_{optimizer}", low, high, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-6, 5e-2, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128, 256]),
        "schedule": trial.suggest_categorical("schedule", ["cosine", "step", "constant"]),
        "epochs": trial.suggest_int("epochs", epochs[0], epochs[1], step=5),
        "label_smoothing": trial.suggest_float("label_smoothing", 0.0, 0.2),
    }


def augment_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    space: dict[str, Any] = {
        "shift": trial.suggest_categorical("shift", [0.0, 0.08, 0.15]),
        "flip": trial.suggest_categorical("flip", ["none", "horizontal", "both"]),
        "rotation": trial.suggest_categorical("rotation", [0, 10, 20]),
        "color_jitter": trial.suggest_categorical("color_jitter", [0.0, 0.1, 0.3]),
    }
    return space


def learning_rate(params: dict[str, Any]) -> float:
    return float(params[f"lr_{params['optimizer']}"])


def architecture(family: str, params: dict[str, Any], channels: int, side: int, n_classes: int) -> dict[str, Any]:
    """Everything needed to rebuild the network, as JSON: loading never unpickles a module."""
    arch: dict[str, Any] = {
        "family": family, "channels": channels, "size": pixels_for(params["resolution"], side),
        "n_classes": n_classes,
    }
    if family == "mlp":
        arch.update(layers=int(params["layers"]), width=int(params["width"]), dropout=float(params["dropout"]),
                    batch_norm=bool(params["batch_norm"]))
    elif family == "cnn":
        arch.update({k: params[k] for k in ("blocks", "width", "block_depth", "kernel", "batch_norm", "dropout",
                                            "pool", "head", "dense")})
    return arch


def builder(family: str) -> Callable[[dict[str, Any], SearchContext], Any]:
    """``ModelSpec.build`` for a family; torch is imported only when a model is built."""

    def build(params: dict[str, Any], ctx: SearchContext) -> Any:
        import_torch()
        from automl_plugins.image.models.estimator import NetworkModel

        return NetworkModel(family, params, ctx)

    return build


def save(model: Any, folder: Path) -> None:
    from automl_plugins.image.models.estimator import save_model

    save_model(model, Path(folder))


def load(folder: Path) -> Any:
    import_torch()
    require("safetensors", "image", "loading an image model")
    from automl_plugins.image.models.estimator import load_model

    return load_model(Path(folder))


def model_spec(family: str, search_space: Callable[[Any, SearchContext], dict[str, Any]],
               defaults: dict[str, Any], **fields: Any) -> ModelSpec:
    """An image family's :class:`ModelSpec`: the family is its key, built by :func:`builder`, saved and
    loaded by :func:`save` and :func:`load`; ``fields`` are the rest (cheap, description...)."""
    return ModelSpec(key=family, task="image", search_space=search_space, build=builder(family), save=save,
                     load=load, defaults=defaults, **fields)
