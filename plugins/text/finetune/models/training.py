"""Fine-tuning loop: AdamW with linear warmup and decay, evaluations every N steps, early stopping.

Each evaluation's validation score goes to ``ctx.report`` (which may prune the
trial); the best evaluation's weights are kept and restored; training stops
after ``PATIENCE`` evaluations without improvement, and at the trial's
deadline (cleanly, with the best weights so far). Lower layers can be frozen:
on a CPU, training only the top layers is several times faster and often as good.

A short budget still gets a model: once a few steps are timed, the plan
(and so the learning-rate decay) is cut to the steps that fit before the
deadline, less the time the caller needs afterwards (``finish_seconds``:
predicting the validation texts and saving the weights). Before, the first
trial at 60 s trained at full learning rate until the deadline, then was
killed while predicting, and the run delivered no model.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from automl.kit import SearchContext
from automl_plugins.text.finetune.models.batching import batches, length_grouped_order

PATIENCE = 3
EVALS_PER_EPOCH = 2  # when an epoch has at least MIN_STEPS_FOR_MID_EPOCH steps
MIN_STEPS_FOR_MID_EPOCH = 60
MAX_GRAD_NORM = 1.0
WARM_STEPS = 3  # steps timed before the plan is cut to the time left
_LAYER = re.compile(r"\.(?:layer|layers|h|block)\.(\d+)\.")

Evaluate = Callable[[], tuple[float, float]]  # (metric, log-loss) on the validation texts
FinishSeconds = Callable[[float, float | None], float]  # (train s per example, last evaluation s) -> s to keep


@dataclass
class Outcome:
    best_epoch: float
    best_score: float | None
    epochs_run: float
    steps: int
    examples_per_second: float
    stop_reason: str


def freeze_lower_layers(model: Any, train_layers: int | str) -> int:
    """Train only the top ``train_layers`` layers, the pooler and the head; returns trainable parameters."""
    if str(train_layers) != "all":
        base = f"{model.base_model_prefix}."
        layers = sorted({int(m.group(1)) for name, _ in model.named_parameters() if (m := _LAYER.search(name))})
        keep = set(layers[-int(train_layers):]) if int(train_layers) > 0 else set()
        for name, parameter in model.named_parameters():
            if not name.startswith(base):
                continue  # the classification head always trains
            match = _LAYER.search(name)
            if match:
                parameter.requires_grad = int(match.group(1)) in keep
            else:
                parameter.requires_grad = "embed" not in name  # pooler and final norms train, embeddings do not
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def _optimizer(model: Any, params: dict[str, Any]) -> torch.optim.Optimizer:
    """AdamW; the new classification head may learn faster than the pretrained body (``head_lr_scale``).

    The head starts random while the body is already trained, so a larger
    step for the head alone converges in fewer epochs, which matters on a CPU.
    """
    lr, decay_rate = float(params["learning_rate"]), float(params["weight_decay"])
    base = f"{model.base_model_prefix}."
    groups = []
    for in_body, scale in ((True, 1.0), (False, float(params.get("head_lr_scale", 1.0)))):
        trainable = [p for n, p in model.named_parameters() if p.requires_grad and n.startswith(base) == in_body]
        groups += [{"params": [p for p in trainable if p.ndim > 1], "weight_decay": decay_rate, "lr": lr * scale},
                   {"params": [p for p in trainable if p.ndim <= 1], "weight_decay": 0.0, "lr": lr * scale}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=lr)


def _lr_factor(step: int, total: int, warmup_ratio: float) -> float:
    warmup = int(warmup_ratio * total)
    if step < warmup:
        return (step + 1) / warmup
    return max(0.0, (total - step) / max(1, total - warmup))


def steps_that_fit(step: int, seconds_per_step: float, time_left: float, keep: float) -> int:
    """The step count the training can reach: the steps done plus those that fit in the time left less ``keep``."""
    if not math.isfinite(time_left):
        return 2**62
    return step + max(0, int((time_left - keep) / max(seconds_per_step, 1e-9)))


def train(model: Any, ids: list[list[int]], y: np.ndarray, pad_id: int, params: dict[str, Any],
          ctx: SearchContext, evaluate: Evaluate | None, finish_seconds: FinishSeconds | None = None) -> Outcome:
    batch_size, epochs = int(params["batch_size"]), int(params["epochs"])
    steps_per_epoch = math.ceil(len(ids) / batch_size)
    plan = [epochs * steps_per_epoch]  # the steps to train: cut when the deadline comes first
    evals_per_epoch = EVALS_PER_EPOCH if steps_per_epoch >= MIN_STEPS_FOR_MID_EPOCH else 1
    eval_every = math.ceil(steps_per_epoch / evals_per_epoch)
    optimizer = _optimizer(model, params)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: _lr_factor(s, plan[0], float(params["warmup_ratio"])))
    rng = np.random.default_rng(ctx.seed)
    labels = torch.as_tensor(np.array(y), dtype=torch.long)
    best_score, best_loss, best_state, best_epoch = None, math.inf, None, float(epochs)
    stale, step, seen, evaluations, reason = 0, 0, 0, 0, "planned epochs done"
    train_seconds, eval_seconds = 0.0, None
    model.train()
    for _epoch in range(epochs):
        for rows, inputs in batches(ids, length_grouped_order(np.array([len(t) for t in ids]), batch_size, rng),
                                    pad_id):
            tick = time.perf_counter()
            logits = model(**inputs).logits
            loss = F.cross_entropy(logits, labels[torch.as_tensor(rows)])
            loss.backward()
            torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], MAX_GRAD_NORM)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad(set_to_none=True)
            train_seconds += time.perf_counter() - tick
            step, seen = step + 1, seen + len(rows)
            at_epoch_end = step % steps_per_epoch == 0
            if ctx.out_of_time():
                reason = "deadline"
                break
            if step >= WARM_STEPS and ctx.deadline is not None:
                # re-planned every step from the mean step time so far: the first steps are slower (allocation,
                # a busy machine), and a plan cut on them alone ended a 300 s fine-tune 60 s early
                keep = finish_seconds(train_seconds / seen, eval_seconds) if finish_seconds else 0.0
                fits = steps_that_fit(step, train_seconds / step, ctx.time_left(), keep)
                plan[0] = min(epochs * steps_per_epoch, max(step, fits))
            if step >= plan[0] and step < epochs * steps_per_epoch:
                reason = "the steps that fit before the deadline"
                break
            if evaluate is None or not (step % eval_every == 0 or at_epoch_end):
                continue
            model.eval()
            tick = time.perf_counter()
            score, log_loss = evaluate()
            eval_seconds = time.perf_counter() - tick
            model.train()
            evaluations += 1
            if best_score is None or ctx.metric.better(score, best_score) or (
                    score == best_score and log_loss < best_loss):
                best_score, best_loss, stale = score, log_loss, 0
                best_epoch = step / steps_per_epoch
                best_state = {n: p.detach().clone() for n, p in model.named_parameters() if p.requires_grad}
            else:
                stale += 1
            ctx.report(evaluations, score)  # may raise optuna.TrialPruned
            if stale >= PATIENCE:
                reason = f"no improvement in {PATIENCE} evaluations"
                break
        else:
            continue
        break
    if best_state is None:
        best_epoch = step / steps_per_epoch  # the weights kept are the last step's
    else:
        with torch.no_grad():
            named = dict(model.named_parameters())
            for name, value in best_state.items():
                named[name].copy_(value)
    model.eval()
    del optimizer
    return Outcome(best_epoch=best_epoch, best_score=best_score, epochs_run=step / max(1, steps_per_epoch),
                   steps=step, examples_per_second=seen / max(train_seconds, 1e-9), stop_reason=reason)
