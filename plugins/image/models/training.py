"""The training loop: epochs with a per-step schedule, pruning reports, early stopping and a clean stop.

Each epoch's validation score goes to ``ctx.report`` (which may raise
``optuna.TrialPruned``), the best epoch's weights are kept, and training stops
after ``patience`` epochs without improvement. The trial's deadline is
respected cooperatively: after the first epoch, when the planned epochs would
take more than half the time that was left when the trial started, the
schedule is shortened to what fits (so the learning rate still anneals, and
one slow configuration cannot eat the whole budget); a running epoch stops at
the deadline; the best weights so far are kept either way.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from automl.kit import EarlyStopping, EpochOutcome, SearchContext, stop_reason
from automl_plugins.image.models.recipe import learning_rate

MIN_PATIENCE = 5
TIME_SHARE = 0.5  # of the time left at its start, the most a trial plans to use
STEP_MILESTONES = (0.5, 0.75)
WARMUP_SHARE = 0.03


@dataclass
class Outcome(EpochOutcome):
    best_score: float | None = None


class Plan:
    """The learning-rate multiplier per optimisation step, over a horizon that may shrink."""

    def __init__(self, schedule: str, epochs: int, steps_per_epoch: int) -> None:
        self.schedule, self.steps_per_epoch = schedule, max(1, steps_per_epoch)
        self.epochs = epochs

    @property
    def total(self) -> int:
        return self.epochs * self.steps_per_epoch

    def factor(self, step: int) -> float:
        warmup = max(1, int(WARMUP_SHARE * self.total))
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, step / max(1, self.total))
        if self.schedule == "cosine":
            return 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * progress))
        if self.schedule == "step":
            return 0.1 ** sum(progress >= m for m in STEP_MILESTONES)
        return 1.0


def make_optimizer(net: nn.Module, params: dict[str, Any]) -> torch.optim.Optimizer:
    """Weight decay on weights only: decaying biases and batch-norm scales only hurts."""
    decay = [p for p in net.parameters() if p.ndim > 1]
    plain = [p for p in net.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": float(params["weight_decay"])},
              {"params": plain, "weight_decay": 0.0}]
    lr = learning_rate(params)
    if params["optimizer"] == "sgd":
        return torch.optim.SGD(groups, lr=lr, momentum=0.9, nesterov=True)
    if params["optimizer"] == "rmsprop":
        return torch.optim.RMSprop(groups, lr=lr, momentum=0.9, alpha=0.9, eps=1e-3)
    return torch.optim.AdamW(groups, lr=lr)


def train(
    net: nn.Module,
    batches: Callable[[], Any],
    prepare: Callable[[torch.Tensor, bool], torch.Tensor],
    params: dict[str, Any],
    ctx: SearchContext | None,
    evaluate: Callable[[], tuple[float, float]] | None = None,
) -> Outcome:
    """Train ``net`` in place; ``evaluate()`` returns (score, log loss) on the validation images.

    ``batches()`` yields (uint8 images, labels) for one epoch; ``prepare(images, train)``
    turns them into the network's input (augmented when ``train``).
    """
    epochs = int(params["epochs"])
    optimizer = make_optimizer(net, params)
    base_lrs = [group["lr"] for group in optimizer.param_groups]
    plan = Plan(str(params.get("schedule", "cosine")), epochs, len(batches()))
    smoothing = float(params.get("label_smoothing", 0.0))
    stopper = EarlyStopping(max(MIN_PATIENCE, round(0.25 * epochs)), lambda new, old: _better(ctx, new, old))
    step, reason = 0, "completed"
    epoch, epoch_seconds = 0, 0.0
    allowed = TIME_SHARE * ctx.time_left() if ctx is not None else math.inf
    while epoch < plan.epochs:
        if epoch > 0 and ctx is not None and ctx.time_left() < epoch_seconds:
            reason = "deadline"
            break
        started = time.time()
        net.train()
        interrupted = False
        for images, labels in batches():
            for group, base in zip(optimizer.param_groups, base_lrs, strict=True):
                group["lr"] = base * plan.factor(step)
            loss = F.cross_entropy(net(prepare(images, True)), labels, label_smoothing=smoothing)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            step += 1
            if not torch.isfinite(loss):
                raise FloatingPointError(f"the training loss diverged at epoch {epoch + 1}; lower the learning rate")
            if ctx is not None and ctx.out_of_time():
                interrupted = True
                break
        epoch += 1
        if evaluate is not None:
            score, loss_value = evaluate()
            if ctx is not None:
                ctx.report(epoch, score)
            stopper.update(epoch, (score, loss_value), net)
        epoch_seconds = time.time() - started
        if epoch == 1 and math.isfinite(allowed):
            seconds = min(ctx.time_left(), allowed - epoch_seconds)  # type: ignore[union-attr]
            fits = max(1, 1 + int(max(0.0, seconds) // max(epoch_seconds, 1e-3)))
            if fits < plan.epochs:
                plan.epochs, reason = fits, "deadline: schedule shortened"
        if (stop := stop_reason(interrupted, stopper)) is not None:
            reason = stop
            break
    stopper.restore(net)
    best_score = None if stopper.best is None else stopper.best[0]
    return Outcome(epoch, stopper.best_epoch or epoch, reason, best_score)


def _better(ctx: SearchContext | None, new: tuple[float, float], old: tuple[float, float]) -> bool:
    """A better score, or the same score with a lower validation loss (accuracy ties often)."""
    if ctx is None:
        return new[1] < old[1]
    if ctx.metric.better(new[0], old[0]):
        return True
    return bool(np.isclose(new[0], old[0]) and new[1] < old[1])
