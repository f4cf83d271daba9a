"""The torch half of the neural text model: the network, length-bucketed batches, training, the estimator.

Imported only when a neural model is built or loaded, so registering the text
plugin never imports torch. Pooling is masked and the CNN's convolutions are
"same"-padded, so a text's prediction does not depend on the other texts that
happen to share its batch (padding never leaks into a score).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from automl.kit import EarlyStopping, EpochOutcome, SearchContext, class_probabilities, log_loss, train_epochs
from automl_plugins.text.models.neural import PAD, Vocabulary

# One thread whatever ctx.n_threads says: these networks run many tiny operations, and with two threads on
# cores other processes were using, OpenMP's spinning made a BiGRU fit 18x slower (20 s instead of 1.1 s).
# OMP_WAIT_POLICY=PASSIVE would stop the spinning, but it slows LightGBM in the same process.
TORCH_THREADS = 1
PATIENCE = 3
PREDICT_BATCH = 256
BUCKET_BATCHES = 20  # sort this many batches' worth of texts by length: little padding, still shuffled
MAX_GRAD_NORM = 1.0  # recurrent networks occasionally spike; clipping keeps a high learning rate usable
KERNELS = {"word": (3, 5), "char": (3, 5, 7)}  # odd widths: "same" padding keeps positions aligned


class TextNet(nn.Module):
    """Embedding, a BiGRU (max and mean pooled) or a 1-D CNN (max over time), dropout, a linear head."""

    def __init__(self, arch: dict[str, Any]) -> None:
        super().__init__()
        dim, hidden = int(arch["embedding_dim"]), int(arch["hidden"])
        self.recurrent = arch["architecture"] == "bigru"
        self.embedding = nn.Embedding(int(arch["vocab_size"]), dim, padding_idx=PAD)
        if self.recurrent:
            self.rnn = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
            features = 4 * hidden
        else:
            self.convs = nn.ModuleList(nn.Conv1d(dim, hidden, k, padding=k // 2) for k in arch["kernels"])
            features = hidden * len(arch["kernels"])
        self.dropout = nn.Dropout(float(arch["dropout"]))
        self.head = nn.Linear(features, int(arch["n_classes"]))

    def forward(self, tokens: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        x = self.embedding(tokens)
        mask = (torch.arange(tokens.shape[1]) < lengths[:, None]).unsqueeze(-1)  # (batch, time, 1)
        if self.recurrent:
            packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
            out, _ = pad_packed_sequence(self.rnn(packed)[0], batch_first=True, total_length=tokens.shape[1])
            mean = (out * mask).sum(1) / lengths[:, None].to(out.dtype)
            pooled = torch.cat([out.masked_fill(~mask, -torch.inf).amax(1), mean], dim=1)
        else:
            x = x.transpose(1, 2)
            maps = [F.relu(conv(x)).transpose(1, 2).masked_fill(~mask, -torch.inf).amax(1) for conv in self.convs]
            pooled = torch.cat(maps, dim=1)
        return self.head(self.dropout(pooled))


def collate(sequences: list[np.ndarray], index: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    """Pad to the longest text of the batch, not to max_length."""
    lengths = [len(sequences[i]) for i in index]
    tokens = np.full((len(index), max(lengths)), PAD, dtype=np.int64)
    for row, i in enumerate(index):
        tokens[row, : lengths[row]] = sequences[i]
    return torch.from_numpy(tokens), torch.tensor(lengths, dtype=torch.int64)


def bucketed(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of texts of similar length."""
    order, batches = rng.permutation(len(lengths)), []
    for start in range(0, len(order), batch_size * BUCKET_BATCHES):
        chunk = order[start : start + batch_size * BUCKET_BATCHES]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + batch_size] for i in range(0, len(chunk), batch_size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def predict_proba(net: TextNet, sequences: list[np.ndarray], n_classes: int) -> np.ndarray:
    net.eval()
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    order = np.argsort(lengths, kind="stable")
    batches = (order[start : start + PREDICT_BATCH] for start in range(0, len(order), PREDICT_BATCH))
    return class_probabilities(((index, net(*collate(sequences, index))) for index in batches), len(sequences),
                               n_classes)


def train(net: TextNet, sequences: list[np.ndarray], y: np.ndarray, params: dict[str, Any],
          ctx: SearchContext, evaluate: Callable[[], tuple[float, float]] | None,
          class_weight: np.ndarray | None) -> EpochOutcome:
    """Train in place; with ``evaluate`` (score, log loss), report each epoch, stop early, keep the best epoch.

    Without validation data (the refit) it trains ``epochs`` epochs, the number
    early stopping chose. A deadline stops the running epoch; the best weights
    so far are kept, so a stopped trial still yields a usable model.
    """
    optimizer = torch.optim.AdamW(net.parameters(), lr=float(params["learning_rate"]),
                                  weight_decay=float(params["weight_decay"]))
    weight = None if class_weight is None else torch.as_tensor(class_weight, dtype=torch.float32)
    labels = torch.tensor(np.asarray(y), dtype=torch.int64)
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    rng = np.random.default_rng(ctx.seed)

    def loss(index: np.ndarray) -> torch.Tensor:
        return F.cross_entropy(net(*collate(sequences, index)), labels[index], weight=weight)

    def scored(epoch: int) -> tuple[float, float]:
        assert evaluate is not None
        score, loss_value = evaluate()
        ctx.report(epoch, score)
        return score, loss_value

    def batches() -> list[np.ndarray]:
        return bucketed(lengths, int(params["batch_size"]), rng)

    stopper = EarlyStopping(PATIENCE, lambda new, old: _better(ctx, new, old))
    return train_epochs(net, optimizer, int(params["epochs"]), batches, loss, stopper,
                        None if evaluate is None else scored, ctx.out_of_time, MAX_GRAD_NORM)


def _better(ctx: SearchContext, new: tuple[float, float], old: tuple[float, float]) -> bool:
    """A better score, or an equal one with a lower log loss: accuracy on small validation sets ties often."""
    if ctx.metric.better(new[0], old[0]):
        return True
    return bool(np.isclose(new[0], old[0]) and new[1] < old[1])


class NeuralTextModel:
    """The automl Estimator: a vocabulary from the training texts, then the network trained on their ids."""

    def __init__(self, params: dict[str, Any], ctx: SearchContext | None) -> None:
        self.params, self.ctx = dict(params), ctx
        self.vocabulary: Vocabulary | None = None
        self.arch: dict[str, Any] = {}
        self.net: Any = None
        self.best_epoch = 0
        self.history: dict[str, Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        return {**self.__dict__, "ctx": None}  # the context holds the live trial

    def fit(self, X: list[str], y: np.ndarray, X_valid: Any = None, y_valid: Any = None) -> NeuralTextModel:
        ctx, p = self.ctx, self.params
        assert ctx is not None and ctx.classes is not None, "build the model with a SearchContext to fit it"
        torch.set_num_threads(TORCH_THREADS)
        torch.manual_seed(ctx.seed)
        started = time.time()
        vocabulary = Vocabulary.build(X, p["unit"], int(p["max_vocab"]), int(p["min_count"]), int(p["max_length"]))
        self.vocabulary, n_classes = vocabulary, len(ctx.classes)
        self.arch = {"vocab_size": len(vocabulary), "n_classes": n_classes, "kernels": KERNELS[p["unit"]],
                     **{k: p[k] for k in ("architecture", "embedding_dim", "hidden", "dropout")}}
        self.net = net = TextNet(self.arch)
        evaluate = None
        if X_valid is not None and y_valid is not None:
            valid, y_true = vocabulary.encode(list(X_valid)), np.asarray(y_valid)

            def evaluate() -> tuple[float, float]:
                proba = predict_proba(net, valid, n_classes)
                return float(ctx.metric.fn(y_true, proba)), log_loss(y_true, proba)

        y = np.asarray(y)
        weights = None
        if p.get("class_weight") == "balanced":
            weights = len(y) / (n_classes * np.maximum(np.bincount(y, minlength=n_classes), 1))
        outcome = train(net, vocabulary.encode(list(X)), y, p, ctx, evaluate, weights)
        self.best_epoch = outcome.best_epoch
        self.history = outcome.history(time.time() - started)
        self.ctx = None
        return self

    def predict(self, X: list[str]) -> np.ndarray:
        """Class probabilities, one column per class of the run."""
        assert self.net is not None and self.vocabulary is not None, "fit the model first"
        torch.set_num_threads(TORCH_THREADS)
        return predict_proba(self.net, self.vocabulary.encode(list(X)), int(self.arch["n_classes"]))

    def refit_params(self) -> dict[str, Any]:
        """Without validation data the refit cannot stop early: it trains the epochs early stopping chose."""
        return {**self.params, "epochs": max(1, int(self.best_epoch))}

