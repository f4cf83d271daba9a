"""A small neural text classifier: token embeddings, a BiGRU or a 1-D CNN, dropout, a linear head.

It learns word order and sub-word patterns the TF-IDF models cannot, at a CPU
cost that suits a search: no pretrained weights and no external tokenizer. The
vocabulary comes from the training texts only; the unit is words (Chinese and
Japanese characters count as words, since they are written without spaces) or
characters. This module imports no torch, so registering the plugin stays fast;
:mod:`.neural_net` holds the torch code and the estimator. Saved as ``weights.safetensors`` and
``network.json`` (architecture, vocabulary, parameters): loading never unpickles.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import (
    ModelSpec,
    SearchContext,
    UserError,
    load_network,
    read_model_file,
    require,
    save_weights,
    write_model_file,
)
from automl_plugins.text.models.features import class_weight_choices

if TYPE_CHECKING:
    from automl_plugins.text.models.neural_net import NeuralTextModel

WEIGHTS_FILE, NETWORK_FILE, FORMAT_VERSION = "weights.safetensors", "network.json", 1
PAD, UNK = 0, 1
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORDS = re.compile(rf"[{_CJK}]|[^\W{_CJK}]+|[^\w\s]")
_SPACES = re.compile(r"\s+")


def tokenize(text: str, unit: str) -> list[str]:
    text = text.lower()
    if unit == "char":
        return list(_SPACES.sub(" ", text).strip())
    return _WORDS.findall(text)


class Vocabulary:
    """Tokens by frequency; index 0 pads and 1 stands for every unknown or rare token."""

    def __init__(self, tokens: list[str], unit: str, max_length: int) -> None:
        self.tokens, self.unit, self.max_length = list(tokens), unit, int(max_length)
        self.index = {token: i + 2 for i, token in enumerate(self.tokens)}

    @classmethod
    def build(cls, texts: list[str], unit: str, max_size: int, min_count: int, max_length: int) -> Vocabulary:
        counts = Counter(t for text in texts for t in tokenize(text, unit)[:max_length])
        kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        return cls(kept[: max(0, max_size - 2)], unit, max_length)

    def __len__(self) -> int:
        return len(self.tokens) + 2

    def encode(self, texts: list[str]) -> list[np.ndarray]:
        """Token ids cut at ``max_length``; an empty text becomes the unknown token alone."""
        out = []
        for text in texts:
            ids = [self.index.get(t, UNK) for t in tokenize(text, self.unit)[: self.max_length]]
            out.append(np.array(ids or [UNK], dtype=np.int64))
        return out


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "architecture": trial.suggest_categorical("architecture", ["bigru", "cnn"]),
        "unit": trial.suggest_categorical("unit", ["word", "char"]),
        "embedding_dim": trial.suggest_categorical("embedding_dim", [32, 64, 128]),
        "hidden": trial.suggest_categorical("hidden", [32, 64, 128]),  # GRU units per direction, or CNN filters
        "dropout": trial.suggest_float("dropout", 0.0, 0.5),
        "learning_rate": trial.suggest_float("learning_rate", 3e-4, 1e-2, log=True),
        "weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-2, log=True),
        "batch_size": trial.suggest_categorical("batch_size", [16, 32, 64]),
        "max_length": trial.suggest_categorical("max_length", [64, 128, 256, 512]),
        "max_vocab": trial.suggest_categorical("max_vocab", [5_000, 20_000, 50_000]),
        "min_count": trial.suggest_int("min_count", 1, 2),
        "epochs": trial.suggest_int("epochs", 5, 30, step=5),  # a cap: early stopping picks the epoch kept
        "class_weight": trial.suggest_categorical("class_weight", class_weight_choices(ctx)),
    }


def _torch() -> Any:
    return require("torch", "text", "the neural text model")


def build(params: dict[str, Any], ctx: SearchContext) -> NeuralTextModel:
    _torch()
    from automl_plugins.text.models.neural_net import NeuralTextModel

    return NeuralTextModel(params, ctx)


def save(model: NeuralTextModel, folder: Path) -> None:
    assert model.net is not None and model.vocabulary is not None, "fit the model first"
    save_weights(model.net, Path(folder) / WEIGHTS_FILE)
    vocabulary = model.vocabulary
    description = {"architecture": model.arch, "params": model.params, "best_epoch": model.best_epoch,
                   "history": model.history, "torch": _torch().__version__,
                   "vocabulary": {"unit": vocabulary.unit, "max_length": vocabulary.max_length,
                                  "tokens": vocabulary.tokens}}
    write_model_file(Path(folder) / NETWORK_FILE, FORMAT_VERSION, description, ensure_ascii=False)


def load(folder: Path) -> NeuralTextModel:
    _torch()
    require("safetensors", "text", "loading the neural text model")
    from automl_plugins.text.models.neural_net import NeuralTextModel, TextNet

    meta_path, weights_path = Path(folder) / NETWORK_FILE, Path(folder) / WEIGHTS_FILE
    meta = read_model_file(meta_path, FORMAT_VERSION, weights_path)
    if not isinstance(meta.get("architecture"), dict) or not isinstance(meta.get("vocabulary"), dict):
        raise UserError(f"{meta_path} has no architecture or vocabulary; the run directory is damaged")
    arch = meta["architecture"]
    # sizes first, on the meta device: a tampered architecture must not allocate anything
    net = load_network(lambda: TextNet(arch), arch, weights_path, meta_path)
    model = NeuralTextModel(meta["params"], None)
    model.net, model.arch, model.best_epoch, model.history = net, arch, meta["best_epoch"], meta.get("history", {})
    words = meta["vocabulary"]
    model.vocabulary = Vocabulary(words["tokens"], words["unit"], words["max_length"])
    return model


DEFAULTS = {"architecture": "bigru", "unit": "word", "embedding_dim": 64, "hidden": 64, "dropout": 0.3,
            "learning_rate": 3e-3, "weight_decay": 1e-4, "batch_size": 32, "max_length": 256, "max_vocab": 20_000,
            "min_count": 2, "epochs": 15, "class_weight": None}

NEURAL_TEXT = ModelSpec(
    key="neural_text", task="text", search_space=search_space, build=build, save=save, load=load,
    defaults=DEFAULTS, kinds=("binary", "multiclass"), cheap=False,
    description="embeddings and a BiGRU or a 1-D CNN over word or character tokens (torch), pruned epoch by epoch",
)
