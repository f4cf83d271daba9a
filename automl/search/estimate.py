"""How long a trial will take, from its model family's own finished trials.

A trial is started only when its expected time fits in the time left, so the
search never begins what the budget cannot finish. The estimate is a simple
per-family model: the wall seconds of the family's trials per unit of the
parameters that drive its cost (``ModelSpec.cost_params``: trees, epochs,
iterations, or ``1/learning_rate`` for boosting whose rounds early stopping
decides), times the new trial's units. Rows do not change between trials of
one run (the folds are fixed), so they need no term here; the refit scales by
rows in :func:`automl.search.finalize.refit_seconds`.

The rate is an upper quartile of the family's :data:`RECENT` last trials,
times :data:`SAFETY`: a machine shared with other work runs the next trial
slower than the last, but judging a family by its single slowest trial (the
earlier rule) skipped its fast configurations for the rest of the run (on
census income at 300 s, every LightGBM trial was judged by its 60 s one and
the run ended 40 s early). An estimate that is too low costs one trial
stopped at the deadline (a model that looks at the clock still delivers);
one that is too high costs every trial it skips. A trial killed at its
deadline counts with the time it had used, a lower bound of what it needed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.search.space import MODEL_PARAM, model_params
from automl.trial_attrs import TrialRecord

SAFETY = 1.5
RECENT = 6  # the family's last measured trials that judge its next one (the machine's load drifts)
QUANTILE = 0.75  # of their rates: robust to one slow outlier, above the typical trial
INVERSE = "1/"  # a cost parameter named "1/x": the cost falls as x grows (boosting rounds and the learning rate)
KILLED_PREFIX = "TrialTimeout: killed after"  # the fail reason of a trial killed by automl.search.isolation
FIRST_TRIAL_SHARE = {True: 0.1, False: 0.25}  # of the search time: an untried cheap / expensive family needs this
MIN_FIRST_TRIAL_SECONDS = 2.0


def units(params: Mapping[str, Any], cost_params: Iterable[str]) -> float:
    """The product of the cost-driving parameters' values, ``1/x`` ones inverted (1 for a family that declares none)."""
    product = 1.0
    for name in cost_params:
        inverse = name.startswith(INVERSE)
        value = params.get(name[len(INVERSE):] if inverse else name)
        if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
            product *= 1.0 / float(value) if inverse else float(value)
    return product


def _seconds(trial: FrozenTrial) -> float | None:
    """Wall seconds a finished trial used, when it says something about the family's cost."""
    if trial.duration is None:
        return None
    if trial.state == TrialState.COMPLETE:
        return trial.duration.total_seconds()
    if trial.state == TrialState.FAIL and TrialRecord.of(trial.user_attrs).fail_reason.startswith(KILLED_PREFIX):
        return trial.duration.total_seconds()
    return None


def rates(study: optuna.Study, model: str, cost_params: Iterable[str]) -> list[float]:
    """Seconds per cost unit of each of the family's measured trials, in the order they started."""
    drivers = tuple(cost_params)
    found = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL)):
        if trial.params.get(MODEL_PARAM) != model:
            continue
        seconds = _seconds(trial)
        if seconds is not None:
            found.append(seconds / units(model_params(model, trial.params), drivers))
    return found


def expected_seconds(study: optuna.Study, model: str, params: Mapping[str, Any],
                     cost_params: Iterable[str] = ()) -> float | None:
    """Wall seconds of a trial of ``model`` with ``params`` (its own names, unprefixed), with a margin;
    None for an untried family."""
    drivers = tuple(cost_params)
    measured = rates(study, model, drivers)[-RECENT:]
    if not measured:
        return None
    return SAFETY * upper_rate(measured) * units(params, drivers)


def upper_rate(measured: list[float]) -> float:
    """The :data:`QUANTILE` of the rates, linear between the ranked rates: above the typical trial, below a lone
    slow one."""
    ordered = sorted(measured)
    position = QUANTILE * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def fastest_seconds(study: optuna.Study, model: str) -> float | None:
    """The shortest wall time among the family's measured trials: the least its next trial can take."""
    seconds = [s for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.FAIL))
               if t.params.get(MODEL_PARAM) == model and (s := _seconds(t)) is not None]
    return min(seconds) if seconds else None


def refit_need(study: optuna.Study, n_rows: int, train_rows: int) -> float | None:
    """Wall seconds, with the margin, to refit the best trial so far on all ``n_rows`` rows; None before one.

    Its fit time over every fold (``train_rows`` rows in all) scaled to the
    whole data, as :func:`automl.search.finalize.refit_seconds` judges each
    member when the refit comes.
    """
    try:
        best = study.best_trial
    except ValueError:  # no trial completed yet
        return None
    fit_seconds = TrialRecord.of(best.user_attrs).fit_seconds
    if not isinstance(fit_seconds, int | float) or not math.isfinite(fit_seconds):
        return None
    return SAFETY * max(0.0, float(fit_seconds)) * n_rows / max(train_rows, 1)


def first_trial_fits(cheap: bool, seconds_left: float, search_seconds: float | None) -> bool:
    """Whether an untried family may start: only with a fair share of the search still ahead."""
    if search_seconds is None:
        return True
    return seconds_left >= max(MIN_FIRST_TRIAL_SECONDS, FIRST_TRIAL_SHARE[cheap] * search_seconds)
