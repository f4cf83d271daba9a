"""The ask-and-tell loop every search process runs against the shared study.

Optuna's ``optimize`` counts trials per process; a ``--trials`` budget shared by
several workers must be exact, so asking for a trial happens under a lock that
also checks the count and the clock. A trial is always told its end state, so
no completed trial is lost and none is run twice.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.search.objective import Objective

log = logging.getLogger(__name__)

TrialCallback = Callable[[optuna.Study, FrozenTrial], None]
MIN_SECONDS_TO_START = 1.0
INTERRUPTED_ATTR = "interrupted"


def counted(study: optuna.Study) -> int:
    """Trials that use up a ``--trials`` budget.

    Queued trials have not run yet, and an interrupted trial is run again under
    a new number, so neither counts.
    """
    return sum(
        1
        for t in study.get_trials(deepcopy=False)
        if t.state != TrialState.WAITING and not t.user_attrs.get(INTERRUPTED_ATTR)
    )


def run_loop(
    study: optuna.Study,
    objective: Objective,
    deadline: float | None,
    max_trials: int | None,
    ask_lock: AbstractContextManager | None = None,
    callbacks: tuple[TrialCallback, ...] = (),
    should_stop: Callable[[], bool] = lambda: False,
) -> None:
    lock = ask_lock or nullcontext()
    while not should_stop():
        with lock:
            if deadline is not None and deadline - time.time() < MIN_SECONDS_TO_START:
                return
            if max_trials is not None and counted(study) >= max_trials:
                return
            if deadline is not None and not objective.anything_fits(study, deadline - time.time()):
                return
            trial = study.ask()
        try:
            state, value = _run_one(objective, trial)
        except KeyboardInterrupt:
            trial.set_user_attr("fail_reason", "interrupted by the user")
            trial.set_user_attr(INTERRUPTED_ATTR, True)
            study.tell(trial, state=TrialState.FAIL)
            raise
        frozen = study.tell(trial, value, state=state)
        for callback in callbacks:
            try:
                callback(study, frozen)
            except Exception:  # noqa: BLE001 - a notifier must never stop the search
                log.exception("trial callback failed")
        gc.collect()


def _run_one(objective: Objective, trial: optuna.Trial) -> tuple[TrialState, float | None]:
    try:
        return TrialState.COMPLETE, objective(trial)
    except optuna.TrialPruned as exc:
        if str(exc):
            trial.set_user_attr("pruned_reason", str(exc))
        return TrialState.PRUNED, None
    except Exception:  # noqa: BLE001 - a crashing model is a FAIL trial, not a crashed run
        log.debug("trial %d failed", trial.number, exc_info=True)
        return TrialState.FAIL, None
