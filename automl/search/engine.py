"""Runs the search of one run: the study, its budget, local workers and progress.

One Optuna study per run. The time budget counts across sessions: a resumed run
continues with what is left. Trials that were in flight when a process died
are marked FAIL (with the reason) and queued again with the same parameters.
"""

from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import filelock
import optuna
from optuna.samplers import TPESampler
from optuna.trial import FrozenTrial, TrialState

from automl.runs import STUDY_NAME, RunDir
from automl.search.loop import INTERRUPTED_ATTR, run_loop
from automl.search.objective import FAIL_REASON, Objective
from automl.search.progress import SearchProgress
from automl.search.pruning import make_pruner
from automl.search.setup import SearchSetup

SEARCH_SECONDS_ATTR = "search_seconds"
SEARCH_SHARE = 0.9  # of the time budget; the rest is kept for ensembling and the refit


@dataclass(frozen=True)
class Budget:
    time_budget: float | None = None
    max_trials: int | None = None
    workers: int = 1

    def search_seconds(self) -> float | None:
        return None if self.time_budget is None else self.time_budget * SEARCH_SHARE


def open_study(run: RunDir, direction: str, seed: int, worker: int = 0, storage: str | None = None) -> optuna.Study:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    sampler = TPESampler(
        seed=seed + worker,
        multivariate=True,
        group=True,
        constant_liar=True,
        n_startup_trials=8,
    )
    return optuna.create_study(
        storage=run.storage(storage),
        study_name=STUDY_NAME,
        direction=direction,
        sampler=sampler,
        pruner=make_pruner(),
        load_if_exists=True,
    )


def recover_interrupted(study: optuna.Study) -> list[int]:
    """Mark trials left RUNNING by a dead process as FAIL, and queue them again.

    Only called while holding the run lock, so no live process owns them.
    """
    storage = study._storage  # noqa: SLF001 - the public Study has no state setter
    recovered = []
    for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
        storage.set_trial_user_attr(trial._trial_id, FAIL_REASON, "interrupted: its process was killed")  # noqa: SLF001
        storage.set_trial_user_attr(trial._trial_id, INTERRUPTED_ATTR, True)  # noqa: SLF001
        storage.set_trial_state_values(trial._trial_id, TrialState.FAIL)  # noqa: SLF001
        study.enqueue_trial(trial.params, skip_if_exists=False)
        recovered.append(trial.number)
    return recovered


def time_spent(study: optuna.Study) -> float:
    return float(study.user_attrs.get(SEARCH_SECONDS_ATTR, 0.0))


def remaining_deadline(study: optuna.Study, budget: Budget) -> float | None:
    seconds = budget.search_seconds()
    return None if seconds is None else time.time() + max(0.0, seconds - time_spent(study))


def ask_lock(run: RunDir) -> filelock.BaseFileLock:
    return filelock.FileLock(str(run.path / "ask.lock"))


def search(
    setup: SearchSetup,
    budget: Budget,
    *,
    quiet: bool = False,
    storage: str | None = None,
    worker_target: Callable[..., None] | None = None,
    on_trial: Callable[[FrozenTrial], None] | None = None,
) -> optuna.Study:
    """Search until the budget is used; returns the study."""
    study = open_study(setup.run, setup.metric.direction, setup.seed, storage=storage)
    recover_interrupted(study)
    spent_before = time_spent(study)
    session_start = time.time()
    deadline = remaining_deadline(study, budget)
    objective = Objective(setup, deadline)

    def record_time(study: optuna.Study, _trial: FrozenTrial) -> None:
        study.set_user_attr(SEARCH_SECONDS_ATTR, spent_before + time.time() - session_start)

    workers = _start_workers(setup.run, budget, deadline, storage, worker_target)
    with SearchProgress(study, setup.metric, budget, deadline, objective, quiet=quiet) as progress:
        callbacks = [record_time, progress.on_trial]
        if on_trial is not None:
            callbacks.append(lambda _s, t: on_trial(t))
        run_loop(study, objective, deadline, budget.max_trials, ask_lock(setup.run), tuple(callbacks))
        for process in workers:
            process.join()
        record_time(study, None)  # type: ignore[arg-type]
    return study


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
