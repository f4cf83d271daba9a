"""One trial: sample a model, fit it on every fold, score the validation predictions.

Whatever happens inside a model, the trial ends as COMPLETE, PRUNED or FAIL
with its reason recorded, and the search goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna

from automl.search import artifacts, isolation
from automl.search.setup import SearchSetup
from automl.search.space import MODEL_PARAM, sample
from automl.specs import take

FAIL_REASON = "fail_reason"
log = logging.getLogger(__name__)


def score_all(setup: SearchSetup, predictions: np.ndarray) -> dict[str, float]:
    """The run's metric plus every other metric of the task, for the leaderboard."""
    y = setup.y_valid
    scores: dict[str, float] = {}
    scores[setup.metric.name] = float(setup.metric.fn(y, predictions))
    for metric in setup.extra_metrics:
        try:
            scores[metric.name] = float(metric.fn(y, predictions))
        except Exception:  # noqa: BLE001 - a secondary metric that cannot score is left out
            log.debug("metric %s failed", metric.name, exc_info=True)
    return scores


class Objective:
    def __init__(self, setup: SearchSetup, deadline: float | None) -> None:
        self.setup = setup
        self.deadline = deadline
        self.current_model: str | None = None

    def anything_fits(self, study: optuna.Study, seconds_left: float) -> bool:
        """False when every model family is known to need more time than is left, even at its fastest."""
        fastest = [fastest_fit_seconds(study, key) for key in self.setup.models]
        return any(t is None or t <= seconds_left for t in fastest)

    def _trial_deadline(self) -> float | None:
        limits = [d for d in (self.deadline,) if d is not None]
        if self.setup.trial_timeout:
            limits.append(time.time() + self.setup.trial_timeout)
        return min(limits) if limits else None

    def __call__(self, trial: optuna.Trial) -> float:
        setup = self.setup
        trial.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
        ctx = setup.context(deadline=self._trial_deadline())
        key, params = sample(trial, setup.models, ctx)
        self.current_model = key
        spec = setup.models[key]
        twin = same_parameters(trial)
        if twin is not None:
            raise optuna.TrialPruned(f"skipped: same parameters as trial {twin}")
        expected = fastest_fit_seconds(trial.study, key)
        if expected is not None and expected > ctx.time_left():
            raise optuna.TrialPruned(
                f"skipped: a {key} trial takes at least {expected:.0f}s and {max(ctx.time_left(), 0):.0f}s are left"
            )
        try:
            return self._fit_and_score(trial, spec, params, ctx)
        except optuna.TrialPruned:
            raise
        except Exception as exc:
            reason = str(exc) if isinstance(exc, isolation.ChildFailed) else f"{type(exc).__name__}: {exc}"
            trial.set_user_attr(FAIL_REASON, reason[:500])
            raise

    def _fit_and_score(self, trial: optuna.Trial, spec: Any, params: dict, ctx: Any) -> float:
        setup = self.setup
        if setup.trial_timeout:
            deadline = isolation.hard_deadline(setup.trial_timeout)
            folds = isolation.run_isolated(lambda report: self._fit_folds(spec, params, ctx, report),
                                           _reporter(trial), deadline)
        else:
            folds = self._fit_folds(spec, params, ctx, _reporter(trial))
        predictions = np.concatenate(folds.predictions)
        scores = score_all(setup, predictions)
        score = scores.get(setup.metric.name, np.nan)
        if not np.isfinite(score):
            raise ValueError(f"the {setup.metric.name} of this model is not a finite number")
        size = artifacts.save_trial(setup.run.artifact_store(), trial, folds.models, predictions)
        trial.set_user_attr("metrics", scores)
        trial.set_user_attr("fit_seconds", round(folds.fit_seconds, 3))
        trial.set_user_attr("predict_ms_per_1k", round(1e6 * folds.predict_seconds / max(len(predictions), 1), 3))
        trial.set_user_attr("size_bytes", size)
        throughput = np.mean(folds.throughputs) if folds.throughputs else \
            folds.train_rows / max(folds.fit_seconds, 1e-9)
        trial.set_user_attr("train_rows_per_second", round(float(throughput), 1))
        trial.set_user_attr("refit_params", merge_refit_params(folds.refit_params))
        return score

    def _fit_folds(self, spec: Any, params: dict, ctx: Any, report: Callable[[int, float], None]) -> FoldResults:
        """Fit and predict every fold; runs in the search process or in a killable child."""
        setup = self.setup
        X, y = setup.dataset.X, np.asarray(setup.dataset.y)
        out = FoldResults()
        for fold_number, (train, valid) in enumerate(setup.folds):
            ctx.reporter = report if fold_number == 0 else None
            started = time.perf_counter()
            estimator = spec.build(params, ctx)
            estimator.fit(take(X, train), y[train], take(X, valid), y[valid])
            out.fit_seconds += time.perf_counter() - started
            out.train_rows += len(train)
            if getattr(estimator, "examples_per_second", None):  # examples processed, e.g. over several epochs
                out.throughputs.append(float(estimator.examples_per_second))
            started = time.perf_counter()
            out.predictions.append(np.asarray(estimator.predict(take(X, valid))))
            out.predict_seconds += time.perf_counter() - started
            out.models.append(estimator)
            refit = getattr(estimator, "refit_params", None)
            out.refit_params.append(refit() if callable(refit) else params)
        return out


@dataclass
class FoldResults:
    """What fitting every fold produced, handed back from a child process when the trial is isolated."""

    models: list[Any] = field(default_factory=list)
    predictions: list[np.ndarray] = field(default_factory=list)
    refit_params: list[dict[str, Any]] = field(default_factory=list)
    throughputs: list[float] = field(default_factory=list)
    fit_seconds: float = 0.0
    predict_seconds: float = 0.0
    train_rows: int = 0


def same_parameters(trial: optuna.Trial) -> int | None:
    """The number of a finished trial with exactly this trial's parameters, if any.

    TPE can propose a configuration again (always, for a model with no
    parameters); fitting it twice would only waste the budget.
    """
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    for other in trial.study.get_trials(deepcopy=False, states=finished):
        if other.params == trial.params and not other.user_attrs.get("pruned_reason", "").startswith("skipped"):
            return other.number
    return None


def fastest_fit_seconds(study: optuna.Study, model: str) -> float | None:
    """The shortest fit time among the model family's completed trials, if any.

    The fastest, not the median: with one expensive family (a fine-tune) the
    median left a quarter of the budget unused, while a trial that starts can
    still end well, since models stop cleanly at the deadline with their best
    state so far.
    """
    seconds = [
        t.user_attrs["fit_seconds"]
        for t in study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
        if t.params.get(MODEL_PARAM) == model and "fit_seconds" in t.user_attrs
    ]
    return float(min(seconds)) if seconds else None


def _reporter(trial: optuna.Trial) -> Callable[[int, float], None]:
    def report(step: int, value: float) -> None:
        trial.report(value, step)
        if trial.should_prune():
            raise optuna.TrialPruned(f"pruned at step {step} with intermediate score {value:.5g}")

    return report


def merge_refit_params(per_fold: list[dict[str, Any]]) -> dict[str, Any]:
    """One parameter set for the refit: numbers found per fold are averaged."""
    merged = dict(per_fold[0])
    for name, value in merged.items():
        values = [p.get(name) for p in per_fold]
        if isinstance(value, int) and not isinstance(value, bool) and all(isinstance(v, int) for v in values):
            merged[name] = int(round(float(np.mean(values))))
    return merged
