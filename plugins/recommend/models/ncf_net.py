"""The torch side of the neural CF model: the network and its training loop (imported only when used)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from automl.kit import EarlyStopping, EpochOutcome, train_epochs

PATIENCE = 3
BATCH_SIZE = 1024
NEGATIVES = 128  # shared sampled negatives per batch for the sampled-softmax loss (dot product)
MLP_NEGATIVES = 32  # fewer for the MLP, which scores every (user, negative) pair through its hidden layer
SCORE_CELLS = 1 << 21  # users x items x hidden units scored at once by the MLP


class CFNet(nn.Module):
    """User and item embeddings scored by a dot product (plus an item bias), and for ``mlp`` also by an MLP
    over the concatenated embeddings (the NeuMF idea)."""

    def __init__(self, arch: dict[str, Any]) -> None:
        super().__init__()
        factors, hidden = int(arch["factors"]), int(arch["hidden"])
        self.users = nn.Embedding(int(arch["n_users"]), factors)
        self.items = nn.Embedding(int(arch["n_items"]), factors)
        self.item_bias = nn.Embedding(int(arch["n_items"]), 1)
        nn.init.normal_(self.users.weight, std=0.1)
        nn.init.normal_(self.items.weight, std=0.1)
        nn.init.zeros_(self.item_bias.weight)
        self.mlp = arch["architecture"] == "mlp"
        if self.mlp:
            self.user_layer = nn.Linear(factors, hidden)
            self.item_layer = nn.Linear(factors, hidden, bias=False)
            self.out = nn.Linear(hidden, 1)

    def cross(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Scores of every item in ``items`` for every user in ``users``: (len(users), len(items))."""
        u, i = self.users(users), self.items(items)
        scores = u @ i.T + self.item_bias(items).T
        if self.mlp:
            hidden = torch.relu(self.user_layer(u)[:, None, :] + self.item_layer(i)[None, :, :])
            scores = scores + self.out(hidden).squeeze(-1)
        return scores

    def pairs(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Scores of matched (user, item) pairs: (len(users),)."""
        u, i = self.users(users), self.items(items)
        scores = (u * i).sum(-1) + self.item_bias(items).squeeze(-1)
        if self.mlp:
            hidden = torch.relu(self.user_layer(u) + self.item_layer(i))
            scores = scores + self.out(hidden).squeeze(-1)
        return scores


@torch.no_grad()
def score_users(net: CFNet, users: np.ndarray, n_items: int) -> np.ndarray:
    net.eval()
    all_items = torch.arange(n_items)
    width = n_items * (int(net.out.in_features) if net.mlp else 1)
    step = max(1, SCORE_CELLS // max(width, 1))
    blocks = [net.cross(torch.as_tensor(users[s:s + step]), all_items).numpy() for s in range(0, len(users), step)]
    return np.concatenate(blocks) if blocks else np.zeros((0, n_items), dtype=np.float32)


def train(net: CFNet, users: np.ndarray, items: np.ndarray, n_items: int, params: dict[str, Any], seed: int,
          evaluate: Callable[[int], float] | None, better: Callable[[float, float], bool],
          out_of_time: Callable[[], bool]) -> EpochOutcome:
    """BPR (one sampled negative per positive) or sampled softmax (shared uniform negatives), Adam, L2 on the
    batch's embeddings. With ``evaluate`` it reports each epoch, stops early and keeps the best epoch."""
    optimizer = torch.optim.Adam(net.parameters(), lr=float(params["learning_rate"]))
    l2, loss_name = float(params["l2"]), params["loss"]
    rng = np.random.default_rng(seed)
    user_t, item_t = torch.as_tensor(users), torch.as_tensor(items)

    def batches() -> Iterator[torch.Tensor]:
        order = torch.as_tensor(rng.permutation(len(users)))
        for start in range(0, len(users), BATCH_SIZE):
            yield order[start:start + BATCH_SIZE]

    def loss(index: torch.Tensor) -> torch.Tensor:
        u, i = user_t[index], item_t[index]
        if loss_name == "bpr":
            j = torch.as_tensor(rng.integers(n_items, size=len(index)))
            value = -F.logsigmoid(net.pairs(u, i) - net.pairs(u, j)).mean()
            extra = net.items(j).pow(2).sum(-1).mean()
        else:
            negatives = torch.as_tensor(rng.integers(n_items, size=MLP_NEGATIVES if net.mlp else NEGATIVES))
            logits = torch.cat([net.pairs(u, i)[:, None], net.cross(u, negatives)], dim=1)
            value = F.cross_entropy(logits, torch.zeros(len(index), dtype=torch.int64))
            extra = net.items(negatives).pow(2).sum(-1).mean()
        return value + l2 * (net.users(u).pow(2).sum(-1).mean() + net.items(i).pow(2).sum(-1).mean() + extra)

    return train_epochs(net, optimizer, int(params["epochs"]), batches, loss, EarlyStopping(PATIENCE, better),
                        evaluate, out_of_time)
