"""Pruning that compares a trial only with earlier trials of the same model family.

Models report intermediate scores on their own scales and step counts
(boosting rounds, epochs), so comparing a network's epoch 3 with LightGBM's
round 3 would be meaningless. The wrapped pruner sees a view of the study that
holds only trials of the current trial's model.
"""

from __future__ import annotations

from collections.abc import Container
from typing import Any

import optuna
from optuna.pruners import BasePruner, HyperbandPruner, MedianPruner, PercentilePruner
from optuna.trial import FrozenTrial, TrialState

from automl.search.space import MODEL_PARAM


class _SameModelStudy:
    def __init__(self, study: optuna.Study, model: Any) -> None:
        self._study = study
        self._model = model

    def get_trials(
        self, deepcopy: bool = True, states: Container[TrialState] | None = None
    ) -> list[FrozenTrial]:
        trials = self._study.get_trials(deepcopy=deepcopy, states=states)
        return [t for t in trials if t.params.get(MODEL_PARAM) == self._model]

    @property
    def trials(self) -> list[FrozenTrial]:
        return self.get_trials()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._study, name)


class PerModelPruner(BasePruner):
    """Delegates to ``base`` with the study narrowed to the trial's model family.

    Queued starting points (defaults and portfolio entries) are never pruned:
    they were chosen on purpose, and slow learners among them look weak early.
    """

    def __init__(self, base: BasePruner) -> None:
        self.base = base

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        if "fixed_params" in trial.system_attrs:
            return False  # a queued default or portfolio configuration always runs to the end
        model = trial.params.get(MODEL_PARAM)
        return self.base.prune(_SameModelStudy(study, model), trial)  # type: ignore[arg-type]


def make_pruner(kind: str = "percentile") -> BasePruner:
    """``percentile`` (default), ``median`` or ``hyperband``, always per model family.

    The default prunes only the bottom quartile: slow learners (a low learning
    rate) look weak early and are often the best at the end, so an aggressive
    median cut costs accuracy that the saved time rarely buys back.
    """
    if kind == "hyperband":
        return PerModelPruner(HyperbandPruner(min_resource=1, reduction_factor=3))
    if kind == "median":
        return PerModelPruner(MedianPruner(n_startup_trials=3, n_warmup_steps=0))
    return PerModelPruner(PercentilePruner(25.0, n_startup_trials=4, n_warmup_steps=0))
