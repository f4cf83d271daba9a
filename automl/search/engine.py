"""Runs the search of one run: the study, its budget, local workers and progress.

One Optuna study per run. The time budget counts across sessions: a resumed run
continues with what is left. Trials that were in flight when a process died
are marked FAIL (with the reason) and queued again with the same parameters:
at start, under the run lock, for the local journal; by their stopped
heartbeats for a server database, whose workers may run on other machines.
"""

from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock
import optuna
from optuna.samplers import TPESampler
from optuna.trial import FrozenTrial, TrialState

from automl.errors import UserError
from automl.runs import RunDir
from automl.search.clock import RunClock, finish_reserve, refit_bounds
from automl.search.liveness import INTERRUPTED_ATTR, drain, with_retry
from automl.search.loop import run_loop
from automl.search.objective import FAIL_REASON, Objective
from automl.search.optuna_compat import heartbeats_enabled, storage_backend, study_storage, trial_id
from automl.search.progress import SearchProgress
from automl.search.pruning import make_pruner
from automl.search.setup import SearchSetup

SEARCH_SECONDS_ATTR = "search_seconds"  # seconds of the time budget used, over every session of the run
RUN_ATTR = "automl_run"  # in an external study: what a worker on another machine needs to join it


@dataclass(frozen=True)
class Budget:
    """The run's budget; ``started`` is when this session's clock started (the process start for a fit)."""

    time_budget: float | None = None
    max_trials: int | None = None
    workers: int = 1
    started: float | None = None

    def search_seconds(self) -> float | None:
        return None if self.time_budget is None else self.time_budget - finish_reserve(self.time_budget)

    def clock(self, spent: float) -> RunClock:
        return RunClock.start(self.time_budget, spent, self.started)


def open_study(run: RunDir, direction: str, seed: int, worker: int = 0, storage: str | None = None) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    # our ask-and-tell loop sends heartbeats itself (automl.search.liveness.Heartbeat)
    warnings.filterwarnings("ignore", message="Heartbeat of storage is supposed to be used", category=UserWarning)
    sampler = TPESampler(
        seed=seed + worker,
        multivariate=True,
        group=True,
        constant_liar=True,
        n_startup_trials=8,
    )
    return optuna.create_study(
        storage=run.storage(storage),
        study_name=run.study_name,
        direction=direction,
        sampler=sampler,
        pruner=make_pruner(),
        load_if_exists=True,
    )


def recover_interrupted(study: optuna.Study) -> list[int]:
    """Mark trials left RUNNING by a dead process as FAIL, and queue them again.

    Only called while holding the run lock, so no live process owns them.
    """
    storage = study_storage(study)  # the public Study has no state setter
    recovered = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_user_attr(trial_id(trial), FAIL_REASON, "interrupted: its process was killed")
        storage.set_trial_user_attr(trial_id(trial), INTERRUPTED_ATTR, True)
        storage.set_trial_state_values(trial_id(trial), TrialState.FAIL)
        study.enqueue_trial(trial.params, skip_if_exists=False)
        recovered.append(trial.number)
    return recovered


def time_spent(study: optuna.Study) -> float:
    return float(study.user_attrs.get(SEARCH_SECONDS_ATTR, 0.0))


def remaining_deadline(study: optuna.Study, budget: Budget) -> float | None:
    seconds = budget.search_seconds()
    return None if seconds is None else time.time() + max(0.0, seconds - time_spent(study))


def ask_lock(run: RunDir, storage: str | None = None) -> Any:
    """The lock around asking for a trial: a PostgreSQL advisory lock, shared by every machine, or a lock file."""
    from automl.storage import AdvisoryLock, full_url, is_postgres

    url = run.storage_url(storage)
    if is_postgres(url):
        return AdvisoryLock(full_url(str(url)), f"automl:{run.study_name}")
    return filelock.FileLock(str(run.path / "ask.lock"))


def claim_study(storage: Any, name: str, run_path: Path, force: bool) -> None:
    """Refuse to join another run's study in a shared database; with ``force``, replace this run's own."""
    try:
        existing = optuna.load_study(study_name=name, storage=storage)
    except KeyError:
        return
    owner = existing.user_attrs.get(RUN_ATTR, {}).get("run_dir")
    if force and owner == str(run_path.resolve()):
        optuna.delete_study(study_name=name, storage=storage)
        return
    from automl.storage import display_url

    url = display_url(str(getattr(storage, "url", "")))
    raise UserError(
        f"the storage {url} already holds a study named '{name}' (of run {owner or 'unknown'}); "
        "pass --study NAME to give this run its own, or join it with 'automl worker'"
        + ("" if force else " (--force replaces it only when it belongs to this --run-dir)")
    )


def publish_run(study: optuna.Study, run: RunDir) -> None:
    """Keep the run's manifest in the study, so 'automl worker --storage URL --study NAME' needs no run folder."""
    location = run.artifact_location
    if "://" not in location:
        location = str(Path(location).resolve())
    study.set_user_attr(RUN_ATTR, {"manifest": run.manifest, "run_dir": str(run.path.resolve()),
                                   "artifacts": location})


def search(
    setup: SearchSetup,
    budget: Budget,
    *,
    quiet: bool = False,
    storage: str | None = None,
    worker_target: Callable[..., None] | None = None,
    on_trial: Callable[[FrozenTrial], None] | None = None,
) -> optuna.Study:
    """Search until the budget is used; returns the study.

    The search ends at the run clock's search deadline: the time budget from
    ``budget.started`` (the process start), less what earlier sessions used and
    the reserve for the refit and the report.
    """
    study = open_study(setup.run, setup.metric.direction, setup.seed, storage=storage)
    if not heartbeats_enabled(study_storage(study)):  # else workers elsewhere may own RUNNING trials
        recover_interrupted(study)
    spent_before = time_spent(study)
    clock = budget.clock(spent_before)
    session_start = time.time() if budget.started is None else budget.started
    deadline = clock.search_deadline()
    objective = Objective(setup, deadline, budget.search_seconds(), refit_bounds(budget.time_budget))

    def record_time(study: optuna.Study, _trial: FrozenTrial) -> None:
        study.set_user_attr(SEARCH_SECONDS_ATTR, spent_before + time.time() - session_start)

    workers = _start_workers(setup.run, budget, deadline, storage, worker_target)
    with SearchProgress(study, setup.metric, budget, deadline, objective, quiet=quiet) as progress:
        callbacks = [record_time, progress.on_trial]
        if on_trial is not None:
            callbacks.append(lambda _s, t: on_trial(t))
        run_loop(study, objective, deadline, budget.max_trials, ask_lock(setup.run, storage), tuple(callbacks))
        for process in workers:
            process.join()
        drain(study, timeout=_drain_seconds(study))
        with_retry(study, record_time, study, None)
    return study


def _drain_seconds(study: optuna.Study) -> float:
    """How long to wait for trials on other machines: long enough to tell a dead worker's trial from a slow one."""
    grace = getattr(storage_backend(study_storage(study)), "grace_period", None)
    return 2.0 * float(grace or 30) + 30.0


def _start_workers(
    run: RunDir,
    budget: Budget,
    deadline: float | None,
    storage: str | None,
    target: Callable[..., None] | None,
) -> list[multiprocessing.Process]:
    if budget.workers <= 1 or target is None:
        return []
    context = multiprocessing.get_context("spawn")
    processes = []
    for index in range(1, budget.workers):
        process = context.Process(
            target=target,
            args=(str(run.path), index, deadline, budget.max_trials, storage),
            daemon=False,
        )
        process.start()
        processes.append(process)
    return processes
