"""The ask-and-tell loop every search process runs against the shared study.

Optuna's ``optimize`` counts trials per process; a ``--trials`` budget shared by
several workers must be exact, so asking for a trial happens under a lock that
also checks the count and the clock. A trial is always told its end state, so
no completed trial is lost and none is run twice.

On a server database, running trials send heartbeats and dead workers' trials
are retried (see :mod:`automl.search.liveness`).
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.search.liveness import INTERRUPTED_ATTR, Heartbeat, fail_stale_trials, poll_seconds, with_retry
from automl.search.objective import FAIL_REASON, Objective
from automl.search.optuna_compat import heartbeats_enabled, study_storage, trial_id
from automl.trial_attrs import PRUNED_REASON

log = logging.getLogger(__name__)

TrialCallback = Callable[[optuna.Study, FrozenTrial], None]
MIN_SECONDS_TO_START = 1.0
DROPPED_REASON = "interrupted: the connection to the study's storage dropped"
_WAIT = object()  # the budget is used up by running trials, one of which may belong to a dead worker


def counted(study: optuna.Study) -> int:
    """Trials that use up a ``--trials`` budget.

    Queued trials have not run yet, and an interrupted trial (its process was
    killed, its heartbeats stopped) is run again under a new number, so neither
    counts. A completed trial always counts.
    """
    return sum(
        1
        for t in study.get_trials(deepcopy=False)
        if t.state != TrialState.WAITING
        and not (t.state == TrialState.FAIL and t.user_attrs.get(INTERRUPTED_ATTR))
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
    storage = study_storage(study)
    heartbeats = heartbeats_enabled(storage)

    def next_trial() -> Any:
        with lock:
            return _next_trial(study, objective, deadline, max_trials, heartbeats)

    while not should_stop():
        trial = with_retry(study, next_trial)
        if trial is None:
            return
        if trial is _WAIT:
            time.sleep(poll_seconds(storage))
            continue
        with Heartbeat(storage, trial_id(trial) if heartbeats else None):
            try:
                state, value, dropped = _run_one(objective, trial)
            except KeyboardInterrupt:
                trial.set_user_attr(FAIL_REASON, "interrupted by the user")
                trial.set_user_attr(INTERRUPTED_ATTR, True)
                study.tell(trial, state=TrialState.FAIL, skip_if_finished=True)
                raise
        if dropped:
            with_retry(study, _mark_dropped, study, trial)
            state, value = TrialState.FAIL, None
        frozen = with_retry(study, study.tell, trial, value, state=state, skip_if_finished=True)
        for callback in callbacks:
            try:
                with_retry(study, callback, study, frozen)
            except Exception:  # noqa: BLE001 - a notifier must never stop the search
                log.exception("trial callback failed")
        gc.collect()


def _next_trial(
    study: optuna.Study, objective: Objective, deadline: float | None, max_trials: int | None, heartbeats: bool
) -> Any:
    """The next trial to run, None when the budget is used, or ``_WAIT`` while other workers finish theirs."""
    if deadline is not None and deadline - time.time() < MIN_SECONDS_TO_START:
        return None
    if heartbeats:
        fail_stale_trials(study)
    if max_trials is not None and counted(study) >= max_trials:
        running = study.get_trials(deepcopy=False, states=(TrialState.RUNNING,))
        # Wait for them: a dead worker's trial turns stale, is queued again and must still be run.
        return _WAIT if heartbeats and running else None
    if deadline is not None and not objective.anything_fits(study, deadline - time.time()):
        return None
    trial = study.ask()
    if heartbeats:
        # a trial is never without a heartbeat; retried here alone, so a dropped connection never asks twice
        with_retry(study, study_storage(study).record_heartbeat, trial_id(trial))
    return trial


def _mark_dropped(study: optuna.Study, trial: optuna.Trial) -> None:
    """A trial cut short by the storage connection is failed as interrupted and queued again."""
    storage, number = study_storage(study), trial_id(trial)
    frozen = storage.get_trial(number)
    if frozen.state.is_finished():
        return
    try:
        storage.set_trial_user_attr(number, FAIL_REASON, DROPPED_REASON)
        storage.set_trial_user_attr(number, INTERRUPTED_ATTR, True)
        # The change of state is atomic: if a worker failing stale trials wins it, that worker queues the retry.
        if not storage.set_trial_state_values(number, state=TrialState.FAIL):
            return
    except optuna.exceptions.UpdateFinishedTrialError:
        return
    study.enqueue_trial(frozen.params, skip_if_exists=False)


def _run_one(objective: Objective, trial: optuna.Trial) -> tuple[TrialState, float | None, bool]:
    """The trial's end state and score, and whether the storage connection dropped during it."""
    from automl.storage import is_connection_error

    try:
        return TrialState.COMPLETE, objective(trial), False
    except optuna.TrialPruned as exc:
        if str(exc):
            trial.set_user_attr(PRUNED_REASON, str(exc))
        return TrialState.PRUNED, None, False
    except Exception as exc:  # noqa: BLE001 - a crashing model is a FAIL trial, not a crashed run
        log.debug("trial %d failed", trial.number, exc_info=True)
        return TrialState.FAIL, None, is_connection_error(exc)


