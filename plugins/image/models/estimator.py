"""The image network behind the automl Estimator protocol, and its code-free file format.

``best/<member>/`` holds ``weights.safetensors`` (the state dict) and
``network.json`` (architecture, input size, channel statistics, parameters):
loading rebuilds the module from JSON and reads tensors, so it never
unpickles anything.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from automl.kit import (
    SearchContext,
    UserError,
    class_probabilities,
    load_network,
    read_model_file,
    save_weights,
    write_model_file,
)
from automl_plugins.image.metrics import log_loss
from automl_plugins.image.models import data, networks, recipe, training
from automl_plugins.image.models.augment import Augmenter
from automl_plugins.image.pixels import usable_cpus

WEIGHTS_FILE = "weights.safetensors"
NETWORK_FILE = "network.json"
FORMAT_VERSION = 1
PREDICT_BATCH = 256


class NetworkModel:
    def __init__(self, family: str, params: dict[str, Any], ctx: SearchContext | None) -> None:
        self.family = family
        self.params = dict(params)
        self.ctx = ctx
        self.arch: dict[str, Any] = {}
        self.net: torch.nn.Module | None = None
        self.best_epoch = 0
        self.history: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "ctx": None}  # the context holds the live trial

    def _threads(self) -> None:
        torch.set_num_threads(max(1, self.ctx.n_threads if self.ctx is not None else usable_cpus()))

    def fit(self, X: Any, y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> NetworkModel:
        ctx = self.ctx
        assert ctx is not None, "build the model with a SearchContext to fit it"
        self._threads()
        torch.manual_seed(ctx.seed)
        info = ctx.info
        arch = recipe.architecture(self.family, self.params, int(info["channels"]), int(info["side"]),
                                   len(ctx.classes or []))
        train_set = data.ImageSet(X, y, arch["size"], arch["channels"])
        arch["mean"], arch["std"] = data.channel_stats(train_set, ctx.seed)
        self.arch = arch
        self.net = networks.build_network(arch)
        augmenter = Augmenter(self.params, ctx.seed + 1)
        batches = data.loader(train_set, self.params["batch_size"], shuffle=True, seed=ctx.seed)

        def prepare(images: torch.Tensor, train: bool) -> torch.Tensor:
            x = data.to_float(images)
            if train and augmenter.active:
                x = augmenter(x)
            return data.normalise(x, arch["mean"], arch["std"])

        evaluate = None
        if X_valid is not None and y_valid is not None:
            y_true = np.asarray(y_valid)

            def evaluate() -> tuple[float, float]:
                proba = self.predict(X_valid)
                return float(ctx.metric.fn(y_true, proba)), log_loss(y_true, proba)

        started = time.time()
        outcome = training.train(self.net, lambda: batches, prepare, self.params, ctx, evaluate)
        self.best_epoch = outcome.best_epoch
        self.history = outcome.history(time.time() - started)
        self.net.eval()
        self.ctx = None
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Class probabilities, one row per image path."""
        assert self.net is not None, "fit the model first"
        self._threads()
        self.net.eval()
        dataset = data.ImageSet(X, None, self.arch["size"], self.arch["channels"])

        def batches() -> Iterator[tuple[slice, torch.Tensor]]:
            done = 0
            for images, _ in data.loader(dataset, PREDICT_BATCH):
                x = data.normalise(data.to_float(images), self.arch["mean"], self.arch["std"])
                yield slice(done, done + len(x)), self.net(x)
                done += len(x)

        return class_probabilities(batches(), len(dataset), int(self.arch["n_classes"]))

    def refit_params(self) -> dict[str, Any]:
        """Refit for the epochs early stopping chose (the schedule then anneals over exactly those)."""
        return {**self.params, "epochs": max(1, int(self.best_epoch))}



def save_model(model: NetworkModel, folder: Path) -> None:
    assert model.net is not None, "fit the model first"
    save_weights(model.net, folder / WEIGHTS_FILE)
    description = {"family": model.family, "architecture": model.arch, "params": model.params,
                   "best_epoch": model.best_epoch, "history": model.history, "torch": torch.__version__}
    write_model_file(folder / NETWORK_FILE, FORMAT_VERSION, description, indent=2)


def load_model(folder: Path) -> NetworkModel:
    meta_path, weights_path = folder / NETWORK_FILE, folder / WEIGHTS_FILE
    meta = read_model_file(meta_path, FORMAT_VERSION, weights_path)
    if not isinstance(meta.get("architecture"), dict) or not isinstance(meta.get("params"), dict):
        raise UserError(f"{meta_path} has no architecture or parameters; the run directory is damaged")
    arch = meta["architecture"]
    model = NetworkModel(str(meta.get("family")), meta["params"], None)
    # sizes first, on the meta device: a tampered architecture must not allocate anything
    model.net = load_network(lambda: networks.build_network(arch), arch, weights_path, meta_path,
                             loops=("blocks", "block_depth", "layers"))
    model.arch, model.best_epoch, model.history = arch, meta.get("best_epoch"), meta.get("history", {})
    return model
