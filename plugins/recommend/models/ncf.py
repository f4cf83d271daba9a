"""Neural collaborative filtering in torch: user and item embeddings, a dot product or an MLP on top, trained
with the BPR loss or a sampled softmax, reporting the validation score each epoch for pruning.

This module imports no torch (registering the plugin stays fast); :mod:`.ncf_net`
holds the torch code. Saved as ``weights.safetensors`` (the state dict) beside
the shared ``arrays.npz``/``model.json``: loading never unpickles.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from automl.kit import SearchContext, UserError, load_network, require, save_weights
from automl_plugins.recommend.models.base import Interactions, Recommender, Validation, common_space, model_spec

WEIGHTS_FILE = "weights.safetensors"


def _torch() -> Any:
    return require("torch", "recommend", "the neural CF model")


class NeuralCF(Recommender):
    key = "ncf"

    def __init__(self, params: dict[str, Any], ctx: SearchContext | None) -> None:
        super().__init__(params, ctx)
        self.net: Any = None
        self.best_epoch = 0
        self.better = ctx.metric.better if ctx is not None else (lambda a, b: a > b)

    def __getstate__(self) -> dict[str, Any]:
        return {**super().__getstate__(), "better": None}

    def arch(self) -> dict[str, Any]:
        return {"n_users": self.n_users, "n_items": self.n_items, "factors": int(self.params["factors"]),
                "hidden": int(self.params["hidden"]), "architecture": self.params["architecture"]}

    def _fit(self, data: Interactions, validation: Validation | None) -> None:
        torch = _torch()
        from automl_plugins.recommend.models import ncf_net

        # the batches are small: one thread avoids the synchronisation cost of a thread team per tiny op
        # (tens of times slower when the cores are shared); scoring, a large product, uses the run's threads
        torch.set_num_threads(1)
        torch.manual_seed(self.seed)
        started = time.time()
        self.net = ncf_net.CFNet(self.arch())
        positive = data.positive.tocoo()
        evaluate = None if validation is None else validation.report
        outcome = ncf_net.train(self.net, positive.row.astype(np.int64), positive.col.astype(np.int64),
                                self.n_items, self.params, self.seed, evaluate, self.better, self.out_of_time)
        self.best_epoch = outcome.best_epoch
        self.history = outcome.history(time.time() - started)

    def _scores(self, users: np.ndarray) -> np.ndarray:
        torch = _torch()
        from automl_plugins.recommend.models import ncf_net

        before = torch.get_num_threads()
        torch.set_num_threads(self.n_threads)
        try:
            return ncf_net.score_users(self.net, np.asarray(users, dtype=np.int64), self.n_items)
        finally:
            torch.set_num_threads(before)

    def refit_params(self) -> dict[str, Any]:
        """Without validation data the refit cannot stop early: it trains the epochs early stopping chose."""
        return {**self.params, "epochs": max(1, int(self.best_epoch or self.params["epochs"]))}

    def meta(self) -> dict[str, Any]:
        return {"architecture": self.arch(), "best_epoch": self.best_epoch, "torch": _torch().__version__}

    def save_extra(self, folder: Path) -> None:
        require("safetensors", "recommend", "saving the neural CF model")
        save_weights(self.net, Path(folder) / WEIGHTS_FILE)

    def restore(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        _torch()
        require("safetensors", "recommend", "loading the neural CF model")
        from automl_plugins.recommend.models.ncf_net import CFNet

        path = Path(folder) / WEIGHTS_FILE
        if not path.is_file():
            raise UserError(f"{path} is missing; the run's best/ folder is incomplete")
        arch = self.arch()
        # sizes first, on the meta device: tampered user or item counts must not allocate anything
        self.net = load_network(lambda: CFNet(arch), arch, path, Path(folder) / "model.json",
                                described="the model described beside it")


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "architecture": trial.suggest_categorical("architecture", ["dot", "mlp"]),
        "loss": trial.suggest_categorical("loss", ["bpr", "softmax"]),
        "factors": trial.suggest_int("factors", 16, 128, log=True),
        "hidden": trial.suggest_categorical("hidden", [16, 32, 64]),
        "learning_rate": trial.suggest_float("learning_rate", 1e-3, 3e-2, log=True),
        "l2": trial.suggest_float("l2", 1e-6, 1e-2, log=True),
        "epochs": trial.suggest_int("epochs", 5, 60, step=5),  # a cap: early stopping picks the epoch kept
        **common_space(trial, ctx, recency=False),
    }


def build(params: dict[str, Any], ctx: SearchContext) -> NeuralCF:
    _torch()
    return NeuralCF(params, ctx)


NCF = model_spec(
    NeuralCF, search_space, build=build,
    defaults={"architecture": "dot", "loss": "softmax", "factors": 64, "hidden": 32, "learning_rate": 0.005,
              "l2": 1e-4, "epochs": 30, "rating_threshold": 0.0},
    cheap=False,
    description="neural collaborative filtering (torch): embeddings, dot product or MLP, BPR or sampled softmax",
)
