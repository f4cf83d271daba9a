"""One trial: sample a model, fit it on every fold, score the validation predictions.

Whatever happens inside a model, the trial ends as COMPLETE, PRUNED or FAIL
with its reason recorded, and the search goes on.
"""

from __future__ import annotations

import logging
import os
import socket
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import optuna

from automl import trial_attrs as attrs
from automl.search import artifacts, estimate, isolation
from automl.search.setup import SearchSetup
from automl.search.space import sample
from automl.specs import refit_params_of, take
from automl.trial_attrs import FAIL_REASON

__all__ = ["FAIL_REASON", "Objective"]  # FAIL_REASON lives in automl.trial_attrs; importable here too
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


# trials in a row skipped for want of time: the search stops. A skip costs about 0.2 s, and the sampler keeps
# proposing the best (slow) family while a cheap one still fits: at 8, MNIST at 300 s stopped with 24 s left
MAX_TIME_SKIPS = 20
PREDICT_SHARE = 0.15  # of the time left when a trial starts: kept after its training for its predictions
FIRST_MODEL_GRACE_SHARE = 0.1  # of the search time: how far past the deadline the run's first model may go


class Objective:
    """One search process's trials; ``deadline`` ends the search, ``search_seconds`` is its whole length.

    ``refit_bounds`` (:func:`automl.search.clock.refit_bounds`): the refit
    time the deadline already leaves, and the most the search gives up for
    it when the best trial so far is measured to need more.
    """

    def __init__(self, setup: SearchSetup, deadline: float | None, search_seconds: float | None = None,
                 refit_bounds: tuple[float, float] = (0.0, 0.0)) -> None:
        self.setup = setup
        self.deadline = deadline
        self.search_seconds = search_seconds
        self.refit_bounds = refit_bounds
        self.current_model: str | None = None
        self.time_skips = 0  # trials in a row skipped because they would not end before the deadline
        self._study: optuna.Study | None = None
        isolation.preload(module for spec in setup.models.values() for module in spec.preload)

    def anything_fits(self, study: optuna.Study, seconds_left: float) -> bool:
        """False when no model family can run a trial in the time left, even at its fastest."""
        if self.time_skips >= MAX_TIME_SKIPS:
            return False
        seconds_left -= self.refit_extra(study)
        for key, spec in self.setup.models.items():
            fastest = estimate.fastest_seconds(study, key)
            if fastest is None:
                if estimate.first_trial_fits(spec.cheap, seconds_left, self.search_seconds):
                    return True
            elif estimate.SAFETY * fastest <= seconds_left:
                return True
        return False

    def refit_extra(self, study: optuna.Study) -> float:
        """Seconds before the deadline the search also stops at, so the best trial so far can be refit.

        The deadline keeps the clock's small refit reserve; a best trial whose
        refit (its fit time scaled to all the rows, with the margin) needs
        more gets it, up to the larger bound. A refit that would not fit even
        then gets nothing more where the trial's fold models serve instead (the
        refit keeps them): keeping time for it would only shorten the search.
        """
        kept, most = self.refit_bounds
        if most <= kept:
            return 0.0
        setup = self.setup
        need = estimate.refit_need(study, setup.dataset.n_rows, sum(len(train) for train, _ in setup.folds))
        if need is None or (need > most and setup.task.fold_models_serve):
            return 0.0
        return min(max(need, kept), most) - kept

    def search_end(self, study: optuna.Study) -> float | None:
        """When this search stops starting trials: the deadline less the refit the best trial needs."""
        return None if self.deadline is None else self.deadline - self.refit_extra(study)

    def _trial_deadline(self, study: optuna.Study) -> float | None:
        """When the model should stop training: before the search's end by a share of the time left,
        so a model that stops itself still predicts its validation rows before it is killed."""
        limits = []
        end = self.search_end(study)
        if end is not None:
            limits.append(end - PREDICT_SHARE * max(0.0, end - time.time()))
        if self.setup.trial_timeout:
            limits.append(time.time() + self.setup.trial_timeout)
        return min(limits) if limits else None

    def _kill_deadline(self) -> float | None:
        """When the trial's child process is killed: its timeout, or the search deadline plus a short grace.

        With a time budget every trial runs in a killable child, since a model
        that never looks at the clock (a scikit-learn fit, an SVM on sentence
        embeddings) would otherwise run past the budget; forking costs about
        20 ms a trial (the data are shared copy-on-write) and 70 ms more per
        20 MB of results. Only in processes where forking is safe: see
        :func:`automl.search.isolation.allow_budget_forks`.
        """
        limits = []
        if self.setup.trial_timeout:
            limits.append(isolation.hard_deadline(self.setup.trial_timeout))
        if self.deadline is not None and isolation.budget_forks_allowed():
            grace = isolation.budget_grace(self.search_seconds)
            if self.search_seconds and not self._any_completed():
                # nothing to deliver yet: this trial may use the refit's share rather than leave the run without
                # a model (the refit then keeps its fold models)
                grace = max(grace, FIRST_MODEL_GRACE_SHARE * self.search_seconds)
            limits.append(self.deadline + grace)
        return min(limits) if limits else None

    def _any_completed(self) -> bool:
        return self._study is not None and bool(
            self._study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)))

    def _too_long(self, trial: optuna.Trial, key: str, params: dict[str, Any]) -> str | None:
        """Why the trial must not start (it would not end before the search's deadline), or None.

        The search's deadline, not the trial's: a ``--trial-timeout`` shorter
        than a trial only gets that trial killed, it is no reason to skip it.
        """
        end = self.search_end(trial.study)
        if end is None:
            return None
        seconds_left = end - time.time()
        spec = self.setup.models[key]
        expected = estimate.expected_seconds(trial.study, key, params, spec.cost_params)
        left = max(seconds_left, 0)
        if expected is None:
            if estimate.first_trial_fits(spec.cheap, seconds_left, self.search_seconds):
                return None
            return f"skipped: no {key} trial has run yet and only {left:.0f}s are left"
        if expected > seconds_left:
            return f"skipped: a {key} trial like this one is expected to take {expected:.0f}s and {left:.0f}s are left"
        return None

    def __call__(self, trial: optuna.Trial) -> float:
        setup = self.setup
        trial.set_user_attr(attrs.WORKER, f"{socket.gethostname()}:{os.getpid()}")
        ctx = setup.context(deadline=self._trial_deadline(trial.study))
        key, params = sample(trial, setup.models, ctx)
        self.current_model = key
        spec = setup.models[key]
        twin = same_parameters(trial)
        if twin is not None:
            raise optuna.TrialPruned(f"skipped: same parameters as trial {twin}")
        too_long = self._too_long(trial, key, params)
        if too_long:
            self.time_skips += 1
            raise optuna.TrialPruned(too_long)
        self.time_skips = 0
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
        self._study = trial.study
        kill_at = self._kill_deadline()
        with tempfile.TemporaryDirectory(prefix="automl-trial-") as tmp:
            if kill_at is not None:  # the child packs its models: they never come back into this process
                packed = Path(tmp) / "models.zip"
                folds = isolation.run_isolated(lambda report: self._fit_folds(spec, params, ctx, report, packed),
                                               _reporter(trial), kill_at)
            else:
                folds = self._fit_folds(spec, params, ctx, _reporter(trial))
            predictions = np.concatenate(folds.predictions)
            scores = score_all(setup, predictions)
            score = scores.get(setup.metric.name, np.nan)
            if not np.isfinite(score):
                raise ValueError(f"the {setup.metric.name} of this model is not a finite number")
            store = setup.run.artifact_store()
            if folds.packed:
                size = artifacts.save_packed(store, trial, Path(folds.packed), folds.n_folds, predictions)
            else:
                size = artifacts.save_trial(store, trial, spec, folds.models, predictions)
        trial.set_user_attr(attrs.METRICS, scores)
        trial.set_user_attr(attrs.FIT_SECONDS, round(folds.fit_seconds, 3))
        trial.set_user_attr(attrs.PREDICT_MS_PER_1K, round(1e6 * folds.predict_seconds / max(len(predictions), 1), 3))
        trial.set_user_attr(attrs.SIZE_BYTES, size)
        throughput = np.mean(folds.throughputs) if folds.throughputs else \
            folds.train_rows / max(folds.fit_seconds, 1e-9)
        trial.set_user_attr(attrs.TRAIN_ROWS_PER_SECOND, round(float(throughput), 1))
        trial.set_user_attr(attrs.REFIT_PARAMS, merge_refit_params(folds.refit_params))
        return score

    def _fit_folds(self, spec: Any, params: dict, ctx: Any, report: Callable[[int, float], None],
                   pack_to: Path | None = None) -> FoldResults:
        """Fit and predict every fold; runs in the search process or in a killable child.

        With ``pack_to`` (in a child) the fold models are packed into that archive and not returned.
        """
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
            out.refit_params.append(refit_params_of(estimator) or params)  # {}: the searched parameters
        out.n_folds = len(out.models)
        if pack_to is not None:
            artifacts.pack_models(spec, out.models, pack_to)
            out.models, out.packed = [], str(pack_to)
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
    n_folds: int = 0
    packed: str | None = None  # the models' archive, when the child packed them


def same_parameters(trial: optuna.Trial) -> int | None:
    """The number of a finished trial with exactly this trial's parameters, if any.

    TPE can propose a configuration again (always, for a model with no
    parameters); fitting it twice would only waste the budget.
    """
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    for other in trial.study.get_trials(deepcopy=False, states=finished):
        if other.params == trial.params and not attrs.TrialRecord.of(other.user_attrs).skipped:
            return other.number
    return None


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
