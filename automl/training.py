"""What plugins that train torch networks share: the epoch loop, class probabilities, the model description file.

Each imports torch inside the function, so importing this module (and the
core) never does: the core install has no torch.

- :func:`train_epochs`: epochs of optimiser steps, each epoch's validation
  score to :class:`~automl.early_stopping.EarlyStopping`, a clean stop at the
  deadline, the best epoch's weights restored; returns an :class:`EpochOutcome`;
- :func:`class_probabilities`: the softmax of a classifier's logits, batch by
  batch, in float64;
- :func:`write_model_file` and :func:`read_model_file`: the JSON that
  describes a saved model, with its format version, written and checked.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from automl.early_stopping import EarlyStopping, stop_reason
from automl.errors import UserError


@dataclass
class EpochOutcome:
    epochs_run: int
    best_epoch: int
    stop_reason: str

    def history(self, seconds: float) -> dict[str, Any]:
        """What a model records of its training (``seconds`` rounded to the millisecond)."""
        return {"epochs_run": self.epochs_run, "best_epoch": self.best_epoch, "stop_reason": self.stop_reason,
                "seconds": round(seconds, 3)}


def train_epochs(net: Any, optimizer: Any, epochs: int, batches: Callable[[], Iterable[Any]],
                 loss: Callable[[Any], Any], stopper: EarlyStopping, evaluate: Callable[[int], Any] | None,
                 out_of_time: Callable[[], bool], max_grad_norm: float | None = None) -> EpochOutcome:
    """Train ``net`` in place for at most ``epochs`` epochs; keep the best epoch's weights.

    Each epoch steps ``optimizer`` on ``loss(batch)`` for every batch of
    ``batches()`` (a new iterable each epoch, so it may reshuffle), clipping
    the gradient norm to ``max_grad_norm`` when given. Then ``evaluate(epoch)``,
    if given, returns the score ``stopper`` compares (it may also report it for
    pruning). ``out_of_time()`` ends the running epoch; the best weights so far
    are kept, so a stopped trial still yields a usable model. A loss that is not
    finite raises :class:`FloatingPointError`.
    """
    import torch

    epoch, reason = 0, "completed"
    while epoch < epochs:
        net.train()
        interrupted = False
        for batch in batches():
            value = loss(batch)
            if not torch.isfinite(value):
                raise FloatingPointError(f"the training loss diverged at epoch {epoch + 1}; lower the learning rate")
            optimizer.zero_grad(set_to_none=True)
            value.backward()
            if max_grad_norm is not None:
                torch.nn.utils.clip_grad_norm_(net.parameters(), max_grad_norm)
            optimizer.step()
            if out_of_time():
                interrupted = True
                break
        epoch += 1
        if evaluate is not None:
            stopper.update(epoch, evaluate(epoch), net)
        if (stop := stop_reason(interrupted, stopper)) is not None:
            reason = stop
            break
    stopper.restore(net)
    net.eval()
    return EpochOutcome(epoch, stopper.best_epoch or epoch, reason)


def class_probabilities(batches: Iterable[tuple[Any, Any]], n_rows: int, n_classes: int) -> np.ndarray:
    """Class probabilities, ``n_rows`` x ``n_classes``: the softmax, in float64, of the logits of each batch.

    ``batches`` yields (rows, logits): where the batch's rows go (indices or a
    slice) and the classifier's output for them. It is consumed in torch's
    inference mode, so a generator that runs the network there records no graph.
    """
    import torch

    out = np.zeros((n_rows, n_classes))
    with torch.inference_mode():
        for rows, logits in batches:
            out[rows] = torch.softmax(logits.double(), dim=1).numpy()
    return out


def write_model_file(path: Path, version: int, description: dict[str, Any], indent: int | None = None,
                     ensure_ascii: bool = True) -> None:
    """Write a saved model's description as JSON (UTF-8), its ``format`` version first."""
    text = json.dumps({"format": version, **description}, indent=indent, ensure_ascii=ensure_ascii)
    path.write_text(text + "\n", encoding="utf-8")


def read_model_file(path: Path, version: int, *beside: Path) -> dict[str, Any]:
    """A saved model's description, refused (:class:`UserError`) when it or a file ``beside`` it is missing,
    when it is not a JSON object, or when its ``format`` is not ``version``."""
    if not path.is_file() or not all(other.is_file() for other in beside):
        raise UserError(f"model files are missing from {path.parent}; the run's best/ folder is incomplete")
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{path} is unreadable or not JSON; the run directory is damaged") from exc
    if not isinstance(meta, dict) or meta.get("format") != version:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise UserError(f"{path} has format {found}; this automl reads format {version}")
    return meta
