"""The image network behind the automl Estimator protocol, and its code-free file format.

``best/<member>/`` holds ``weights.safetensors`` (the state dict) and
``network.json`` (architecture, input size, channel statistics, parameters):
loading rebuilds the module from JSON and reads tensors, so it never
unpickles anything.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from automl.kit import SearchContext, UserError
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
        self.history = {"epochs_run": outcome.epochs_run, "best_epoch": outcome.best_epoch,
                        "stop_reason": outcome.stop_reason, "seconds": round(time.time() - started, 3)}
        self.net.eval()
        self.ctx = None
        return self

    def predict(self, X: Any) -> np.ndarray:
        """Class probabilities, one row per image path."""
        assert self.net is not None, "fit the model first"
        self._threads()
        self.net.eval()
        dataset = data.ImageSet(X, None, self.arch["size"], self.arch["channels"])
        outputs = []
        with torch.inference_mode():
            for images, _ in data.loader(dataset, PREDICT_BATCH):
                x = data.normalise(data.to_float(images), self.arch["mean"], self.arch["std"])
                outputs.append(torch.softmax(self.net(x).double(), dim=1))
        if not outputs:
            return np.zeros((0, int(self.arch["n_classes"])))
        return torch.cat(outputs).numpy()

    def refit_params(self) -> dict[str, Any]:
        """Refit for the epochs early stopping chose (the schedule then anneals over exactly those)."""
        return {**self.params, "epochs": max(1, int(self.best_epoch))}



def save_model(model: NetworkModel, folder: Path) -> None:
    from safetensors.torch import save_file

    assert model.net is not None, "fit the model first"
    state = {name: tensor.detach().contiguous() for name, tensor in model.net.state_dict().items()}
    save_file(state, str(folder / WEIGHTS_FILE))
    description = {"format": FORMAT_VERSION, "family": model.family, "architecture": model.arch,
                   "params": model.params, "best_epoch": model.best_epoch, "history": model.history,
                   "torch": torch.__version__}
    (folder / NETWORK_FILE).write_text(json.dumps(description, indent=2) + "\n")


def load_model(folder: Path) -> NetworkModel:
    from safetensors.torch import load_file

    meta_path, weights_path = folder / NETWORK_FILE, folder / WEIGHTS_FILE
    if not meta_path.is_file() or not weights_path.is_file():
        raise UserError(f"model files are missing from {folder}; the run's best/ folder is incomplete")
    from automl.kit import check_network

    try:
        meta = json.loads(meta_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{meta_path} is unreadable or not JSON; the run directory is damaged") from exc
    if not isinstance(meta, dict) or meta.get("format") != FORMAT_VERSION:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise UserError(f"{meta_path} has format {found}; this automl reads format {FORMAT_VERSION}")
    if not isinstance(meta.get("architecture"), dict) or not isinstance(meta.get("params"), dict):
        raise UserError(f"{meta_path} has no architecture or parameters; the run directory is damaged")
    # sizes first, on the meta device: a tampered architecture must not allocate anything
    check_network(lambda: networks.build_network(meta["architecture"]), meta["architecture"], weights_path,
                  meta_path, loops=("blocks", "block_depth", "layers"))
    model = NetworkModel(str(meta.get("family")), meta["params"], None)
    model.arch, model.best_epoch, model.history = meta["architecture"], meta.get("best_epoch"), meta.get("history", {})
    model.net = networks.build_network(model.arch)
    try:
        model.net.load_state_dict(load_file(str(weights_path)), strict=True)
    except (RuntimeError, OSError) as exc:
        raise UserError(f"{weights_path} does not match its architecture in {meta_path} ({exc})") from exc
    model.net.eval()
    return model
