"""Which trials are alive: heartbeats of running trials, and the retry of those whose worker died.

On a server database (PostgreSQL), workers on other machines can die at any
time. Each running trial sends heartbeats; before each ask, trials whose
heartbeats stopped are marked FAIL ("interrupted") and queued again with the
same parameters. A dropped database connection is retried with backoff
(``AUTOML_STORAGE_RETRY_SECONDS``, 60 by default) before the run gives up.
Heartbeat storage internals of Optuna (``_get_stale_trial_ids``, via
:mod:`automl.search.optuna_compat`) are used
because the public ``fail_stale_trials`` records no reason and counts the dead
attempt.
"""

from __future__ import annotations

import copy
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import optuna
from optuna.trial import TrialState

from automl.errors import UserError
from automl.search.optuna_compat import (
    heartbeats_enabled,
    rdb_trial_model,
    stale_trial_ids,
    storage_backend,
    study_id,
    study_storage,
)
from automl.storage import RetryStaleTrial  # it lives with the storage it is installed on; importable here too
from automl.trial_attrs import FAIL_REASON, INTERRUPTED_ATTR

__all__ = ["INTERRUPTED_ATTR", "RetryStaleTrial", "drain", "fail_stale_trials", "with_retry"]
log = logging.getLogger(__name__)

RETRY_ENV = "AUTOML_STORAGE_RETRY_SECONDS"
STALE_REASON = "interrupted: its worker stopped sending heartbeats (killed, or its machine was lost)"
T = TypeVar("T")


def fail_stale_trials(study: optuna.Study) -> list[int]:
    """Mark trials whose heartbeats stopped as FAIL (interrupted, with the reason) and queue them again.

    Optuna's ``fail_stale_trials`` leaves no reason and counts the dead attempt;
    this one records why, so the attempt shows on the leaderboard and does not
    use up the ``--trials`` budget. Only one process wins each trial's change of
    state, so a trial is queued again once.
    """
    storage = study_storage(study)  # the public Study has no state setter
    if not heartbeats_enabled(storage):
        return []
    failed = []
    stale = stale_trial_ids(storage, study_id(study)) + orphan_trial_ids(storage, study_id(study))
    for trial_id in stale:
        try:
            storage.set_trial_user_attr(trial_id, FAIL_REASON, STALE_REASON)
            storage.set_trial_user_attr(trial_id, INTERRUPTED_ATTR, True)
            if storage.set_trial_state_values(trial_id, state=TrialState.FAIL):
                failed.append(trial_id)
        except optuna.exceptions.UpdateFinishedTrialError:
            continue  # it finished (or another worker failed it) meanwhile
    retry = storage.get_heartbeat_stale_trial_callback()
    for trial_id in failed:
        trial = copy.deepcopy(storage.get_trial(trial_id))
        log.warning("trial %d: %s; queued again", trial.number, STALE_REASON)
        if retry is not None:
            retry(study, trial)
    return [storage.get_trial(trial_id).number for trial_id in failed]


def orphan_trial_ids(storage: Any, study_id: int) -> list[int]:
    """RUNNING trials that never recorded a heartbeat and are older than the grace period.

    A connection that drops inside ``ask`` (after the new trial was committed,
    before its first heartbeat) leaves such a trial: its process asked again
    and runs another one. Optuna's stale check skips trials without a
    heartbeat row, so with a ``--trials`` budget every worker would wait for it
    until the time budget ended. Optuna's RDB models are read directly: no
    public API tells whether a trial has a heartbeat.
    """
    trial_model = rdb_trial_model()
    backend = storage_backend(storage)
    if not hasattr(backend, "scoped_session"):
        return []
    grace = backend.grace_period or 2 * (backend.heartbeat_interval or 0)
    session = backend.scoped_session()
    try:
        now = datetime.now()  # datetime_start reads as local naive time, set by the asking machine's clock
        running = (session.query(trial_model)
                   .filter(trial_model.state == TrialState.RUNNING)
                   .filter(trial_model.study_id == study_id).all())
        return [t.trial_id for t in running if not t.heartbeats and t.datetime_start is not None
                and (now - t.datetime_start).total_seconds() > grace]
    finally:
        session.close()


def drain(study: optuna.Study, timeout: float) -> None:
    """Wait (at most ``timeout`` s) for the trials other machines still run, failing those whose worker died.

    The process that ensembles and refits calls it, so a trial that ends just
    after its own search loop is still in the final model.
    """
    storage = study_storage(study)
    if not heartbeats_enabled(storage):
        return
    end = time.time() + timeout
    while time.time() < end:
        with_retry(study, fail_stale_trials, study)
        if not with_retry(study, study.get_trials, deepcopy=False, states=(TrialState.RUNNING,)):
            return
        time.sleep(poll_seconds(storage))
    log.warning("trials still running on other workers after %.0fs are left out of the final model", timeout)


def retry_seconds() -> float:
    try:
        return float(os.environ.get(RETRY_ENV) or 60)
    except ValueError:
        raise UserError(f"{RETRY_ENV} must be a number of seconds, not {os.environ[RETRY_ENV]!r}") from None


def with_retry(study: optuna.Study, action: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """``action(*args, **kwargs)``, retried with backoff while the study's database cannot be reached.

    After ``AUTOML_STORAGE_RETRY_SECONDS`` the run stops with one line naming the
    storage without its password; the completed trials are all in the storage.
    """
    from automl.storage import display_url, error_line, is_connection_error

    give_up, delay = time.time() + retry_seconds(), 0.5
    while True:
        try:
            return action(*args, **kwargs)
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            url = str(getattr(storage_backend(study_storage(study)), "url", ""))
            if time.time() >= give_up:
                raise UserError(
                    f"lost the connection to the storage {display_url(url)} for over {retry_seconds():.0f}s "
                    f"({error_line(exc, url)}); completed trials are kept: run 'automl worker' or "
                    "'automl resume' when it is back"
                ) from None
            log.warning("storage unreachable (%s); retrying in %.1fs", error_line(exc, url), delay)
            time.sleep(delay)
            delay = min(delay * 2, 8.0)


def poll_seconds(storage: Any) -> float:
    interval = storage.get_heartbeat_interval() if heartbeats_enabled(storage) else None
    return min(max(0.5, (interval or 2) / 2), 5.0)


class Heartbeat:
    """Records a running trial's heartbeat every interval, in a thread that outlives connection errors.

    Optuna's own heartbeat thread stops at the first database error, and the
    trial would then be failed as stale while it still runs; this one logs the
    error and beats again at the next interval.
    """

    def __init__(self, storage: Any, trial_id: int | None) -> None:
        self.storage, self.trial_id = storage, trial_id
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if self.trial_id is not None:
            self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{self.trial_id}", daemon=True)
            self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _beat(self) -> None:
        interval = self.storage.get_heartbeat_interval()
        while not self._stop.is_set():
            try:
                self.storage.record_heartbeat(self.trial_id)
            except Exception:  # noqa: BLE001 - the storage may be restarting; beat again later
                log.debug("heartbeat of trial %s failed", self.trial_id, exc_info=True)
            if self._stop.wait(timeout=interval):
                return
