"""The fine-tuning model family: its search space and defaults.

The learning rate, epochs, batch size, sequence length, warmup, weight decay
and the number of top layers trained are searched, and, when several
backbones were given, which backbone. The first configuration queued is the
faster, partly frozen one (the top two layers and the head train), so that a
short budget still delivers a useful model: at 60 s on SMS spam the full
fine-tune had time for 26 steps and predicted one class only. The recipe
that works for small BERT-like models (every layer trained) follows in the
portfolio.
"""

from __future__ import annotations

from typing import Any

from automl.kit import ModelSpec, SearchContext
from automl_plugins.text.finetune.models.estimator import FineTunedClassifier, load_model, save_model

TRAIN_LAYERS = (1, 2, 4, "all")


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    """The backbone is a searched choice only when the user gave several."""
    choices = list(ctx.info.get("backbones", []))
    chosen = {"backbone": trial.suggest_categorical("backbone", choices)} if len(choices) > 1 else {}
    return {
        **chosen,
        "learning_rate": trial.suggest_float("learning_rate", 1e-5, 2e-4, log=True),
        "epochs": trial.suggest_int("epochs", 1, 5),
        "batch_size": trial.suggest_categorical("batch_size", [8, 16, 32]),
        "max_length": trial.suggest_categorical("max_length", [64, 128, 256]),
        "warmup_ratio": trial.suggest_float("warmup_ratio", 0.0, 0.2),
        "weight_decay": trial.suggest_float("weight_decay", 0.0, 0.1),
        "train_layers": trial.suggest_categorical("train_layers", list(TRAIN_LAYERS)),
        "head_lr_scale": trial.suggest_categorical("head_lr_scale", [1, 10, 30]),
    }


def build(params: dict[str, Any], ctx: SearchContext) -> FineTunedClassifier:
    return FineTunedClassifier(params, ctx)


def _starting_points() -> tuple[dict[str, Any], tuple[dict[str, Any], ...]]:
    recipe = {"learning_rate": 1e-4, "epochs": 3, "batch_size": 16, "max_length": 128, "warmup_ratio": 0.06,
              "weight_decay": 0.01, "train_layers": "all", "head_lr_scale": 10}
    partly_frozen = {**recipe, "learning_rate": 2e-4, "epochs": 4, "batch_size": 32, "train_layers": 2}
    return partly_frozen, (recipe, {**recipe, "learning_rate": 5e-5})


_DEFAULTS, _PORTFOLIO = _starting_points()

TRANSFORMER = ModelSpec(
    key="transformer", task="finetune", search_space=search_space, build=build, save=save_model, load=load_model,
    defaults=_DEFAULTS, portfolio=_PORTFOLIO, kinds=("binary", "multiclass"),
    description="a pretrained Transformer fine-tuned for sequence classification (Hugging Face transformers)",
    cost_params=("epochs",),
)
