"""Start, resume and join runs: the steps between a command and the search engine.

Every process of a run (the first, a resumed one, a local or remote worker)
rebuilds the same :class:`SearchSetup` from ``run.json``, so they all search
the same space on the same splits.
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from automl import atomic
from automl import task_options as task_option_rules
from automl.catalog import Catalog, build_catalog
from automl.data import fingerprint
from automl.errors import UserError
from automl.evidence.validation import summarize_dataset
from automl.plugins import call_each
from automl.records import DataRecord, RunRecord
from automl.runs import STUDY_NAME, RunDir, command_line, package_versions, redact_url
from automl.search.clock import RunClock, refit_bounds
from automl.search.counts import plural, trials_run
from automl.search.engine import (
    RUN_ATTR,
    Budget,
    ask_lock,
    claim_study,
    open_study,
    publish_run,
    remaining_deadline,
    search,
    time_spent,
)
from automl.search.finalize import choose_final, refit_and_save
from automl.search.loop import run_loop
from automl.search.objective import Objective
from automl.search.setup import SearchSetup
from automl.search.space import enqueue_starting_points
from automl.specs import DataSource, TaskSpec
from automl.trial_attrs import TIE_BREAK_ATTR

Echo = Callable[[str], None]
# Opens a finished run as the public automl.api.Run (callers pass the class itself): the steps after the refit
# hand plugins that object. The workflow sits below the api in the layers, so it is given it, never imports it.
OpenRun = Callable[[RunDir, Catalog], Any]
FRAME_FILE = "data.parquet"
REMOTE_WORKER_INDEX = 1000  # worker indexes from here on are 'automl worker' processes


@dataclass
class FitOptions:
    task: str = "auto"
    target: str | None = None
    metric: str | None = None
    time_budget: float | None = 300.0
    trials: int | None = None
    workers: int = 1
    storage: str | None = None
    study: str | None = None  # the study's name in --storage (default "automl"), for databases shared by runs
    artifacts: str | None = None  # a shared folder or s3://bucket/prefix (default: the run's artifacts/)
    run_dir: str | Path | None = None
    seed: int = 0
    models: Sequence[str] | None = None
    trial_timeout: float | None = None
    force: bool = False
    quiet: bool = False
    task_options: dict[str, Any] = field(default_factory=dict)
    preset: dict[str, Any] | None = None  # a use-case preset (automl.presets), kept in run.json for the report
    started: float | None = None  # when the time budget's clock started (default: when the fit is called)


def _quiet_echo(_message: str) -> None:
    return None


def detect_task(catalog: Catalog, source: DataSource, options: dict[str, Any]) -> TaskSpec:
    scores = {spec.name: float(spec.detect(source, options)) for spec in catalog.tasks}
    best = max(scores, key=scores.__getitem__, default=None)
    if best is None or scores[best] <= 0:
        valid = ", ".join(sorted(scores)) or "(no task plugins installed)"
        raise UserError(f"cannot tell which task fits {source}; pass --task (one of: {valid})")
    return catalog.task(best)


def default_run_dir(source: DataSource) -> Path:
    stem = "frame" if isinstance(source, pd.DataFrame) else Path(source).stem or Path(source).name
    return Path("runs") / stem


def _check_source(source: DataSource) -> None:
    if not isinstance(source, pd.DataFrame | str | os.PathLike):
        raise UserError(
            f"cannot read data of type {type(source).__name__}; pass a file or folder path (str or Path) "
            "or a pandas DataFrame"
        )
    if not isinstance(source, pd.DataFrame) and not Path(source).exists():
        raise UserError(f"file not found: {source}; check the path")


def _check_seconds(name: str, value: Any) -> None:
    """A number of seconds must be a finite positive number: NaN would pass every ``<= 0`` test and reach run.json."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UserError(f"{name} must be a number of seconds, not {type(value).__name__} {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise UserError(f"{name} must be a positive, finite number of seconds, not {value:g}")


def _check_budget(options: FitOptions) -> None:
    if options.workers < 1:
        raise UserError(f"--workers must be at least 1, not {options.workers}")
    if options.trials is not None and options.trials < 1:
        raise UserError(f"--trials must be at least 1, not {options.trials}")
    _check_seconds("--time-budget", options.time_budget)
    _check_seconds("--trial-timeout", options.trial_timeout)
    _check_named(options)


def _check_named(options: FitOptions) -> None:
    """An empty ``--metric`` or ``--models`` is a mistake (an unset shell variable), not a request for the default."""
    if options.metric is not None and not str(options.metric).strip():
        raise UserError("--metric is empty; name a metric ('automl plugins' lists each task's) or leave it out "
                        "for the task's default")
    if options.models is not None and not [m for m in options.models if str(m).strip()]:
        raise UserError("--models names no model; give model keys separated by commas ('automl plugins' lists "
                        "them) or leave it out to search every family")


def _cap_workers(options: FitOptions, echo: Echo) -> FitOptions:
    """``--workers`` held to this machine's CPUs and the trial budget, with a ``note:`` when it is cut
    (each worker is a whole process: 100,000 of them would take the machine down)."""
    from automl.limits import cap_workers

    workers, note = cap_workers(options.workers, usable_cpus(), options.trials)
    if note:
        echo(f"note: {note}")
    return dataclasses.replace(options, workers=workers)


def _reads(source: DataSource, options: FitOptions) -> list[Path]:
    """Every path the fit reads (the data, and files or folders among the task options): never deleted by --force."""
    given = [] if isinstance(source, pd.DataFrame) else [Path(source)]
    for value in options.task_options.values():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str | os.PathLike) and str(item) and Path(item).exists():
                given.append(Path(item))
    return given


def start_run(source: DataSource, options: FitOptions, echo: Echo = _quiet_echo, *, open_run: OpenRun) -> RunDir:
    """Create the run directory, search within the budget, refit and save the winner.

    ``open_run`` is :class:`automl.api.Run`: the finished run as plugins receive it (see :data:`OpenRun`).

    The time budget counts from ``options.started`` (the process start, for the command line) or from now.
    """
    started = options.started if options.started is not None else time.time()
    _check_source(source)
    _check_budget(options)
    options = _cap_workers(options, echo)
    run_path = Path(options.run_dir) if options.run_dir else default_run_dir(source)
    reads = _reads(source, options)
    RunDir.check_free(run_path, options.force, reads)
    artifacts = _artifact_location(options.artifacts)
    if options.storage:
        from automl.storage import open_rdb_storage

        claim_study(open_rdb_storage(options.storage), options.study or STUDY_NAME, run_path, options.force)
    elif options.study:
        raise UserError("--study names the study in an external --storage; pass --storage URL too")
    catalog = build_catalog()
    task_options = {"target": options.target, **options.task_options}
    task = catalog.task(options.task) if options.task != "auto" else detect_task(catalog, source, task_options)
    # checked against the task's declarations (an option it would ignore is refused) and in their types
    options = dataclasses.replace(options, task_options=task_option_rules.check_given(task, options.task_options,
                                                                                      catalog))
    task_options = {"target": options.target, **options.task_options}
    dataset = task.load(source, {**task_options, **task_option_rules.metric_hint(catalog, task.name, options.metric)})
    metric = catalog.metric(task.name, dataset.kind, options.metric or task.default_metric(dataset))
    models = list(options.models or [m.key for m in catalog.models_for(task.name, dataset.kind)])
    for key in models:
        if not catalog.model(task.name, key).supports(dataset.kind):
            raise UserError(
                f"model '{key}' does not support {dataset.kind} {task.name} problems; remove it from --models"
            )
    if not models:
        raise UserError(f"no model is registered for a {dataset.kind} {task.name} task")
    for note in dataset.notes:
        echo(f"note: {note}")
    record = RunRecord(
        name=run_path.name, created=time.strftime("%Y-%m-%dT%H:%M:%S%z"), command=command_line(),
        task=task.name, kind=dataset.kind, target=options.target, task_options=options.task_options,
        metric=metric.name, direction=metric.direction, time_budget=options.time_budget, trials=options.trials,
        trial_timeout=options.trial_timeout, workers=options.workers, seed=options.seed, models=models,
        storage=redact_url(options.storage) if options.storage else None, study=options.study, artifacts=artifacts,
        data=DataRecord(path=None if isinstance(source, pd.DataFrame) else str(Path(source).resolve()),
                        fingerprint=fingerprint(source), rows=dataset.n_rows, summary=summarize_dataset(dataset)),
        versions=package_versions(), preset=options.preset or {},
    )
    with RunDir.creating(run_path, record, force=options.force, reads=reads) as run:  # locked until the end
        if isinstance(source, pd.DataFrame):
            with atomic.replacing(run.path / FRAME_FILE) as tmp:
                source.rename(columns=str).to_parquet(tmp)
            saved = run.path / FRAME_FILE  # what resume and the report read again, so what the fingerprint is of
            run.update_manifest(data=dataclasses.replace(record.data, path=str(saved.resolve()),
                                                         fingerprint=fingerprint(saved)))
        echo(f"run {run.path}: {task.name} task, {dataset.kind}, metric {metric.name}, "
             f"{plural(len(models), 'model family', 'model families')}")
        setup = build_setup(run, catalog, dataset=dataset)
        study = open_study(run, metric.direction, options.seed, storage=options.storage)
        study.set_user_attr(TIE_BREAK_ATTR, setup.tie_break_metric)  # orders tied trials wherever they are ranked
        if options.storage:
            publish_run(study, run)
        enqueue_starting_points(study, setup.models)
        _search_and_finish(run, setup, options.quiet, options.storage, echo, open_run, started=started)
    return run


def resume_run(path: str | Path, quiet: bool = False, storage: str | None = None, echo: Echo = _quiet_echo, *,
               open_run: OpenRun) -> RunDir:
    """Continue an interrupted run: completed trials are kept, the budget's rest is used."""
    run = RunDir.open(path)
    from automl.layout import check_for_resume

    check_for_resume(run.path)  # a file, folder or link where automl keeps another kind: one line, before the lock
    with run.acquire():
        if not run.storage_url(storage):
            _repair_journal(run, echo)
        setup = build_setup(run, build_catalog())
        echo(f"resuming run {run.path}")
        _search_and_finish(run, setup, quiet, storage, echo, open_run)
    return run


def _print_note(message: str) -> None:
    import sys

    print(message, file=sys.stderr)


def _repair_journal(run: RunDir, echo: Echo) -> None:
    """Before the search appends to the journal: move a torn last record out of it (kept beside it)."""
    from automl import journal

    try:
        kept = journal.repair(run.journal_path)
    except OSError as exc:
        raise UserError(f"cannot repair {run.journal_path} ({exc.strerror or exc}); is the run folder writable?") \
            from None
    if kept is not None:
        echo(f"note: {run.journal_path} ended with an incomplete record (a crash or a full disk); "
             f"it was moved to {kept.name} and the search continues from the records before it")


def _search_and_finish(run: RunDir, setup: SearchSetup, quiet: bool, storage: str | None, echo: Echo,
                       open_run: OpenRun, started: float | None = None) -> None:
    """Search, then choose, refit and save the final model; ``started`` is when the budget's clock started."""
    record = run.record
    from automl.limits import cap_workers

    # a resumed run may come from a bigger machine (or a run.json edited by hand): capped here too
    workers, note = cap_workers(record.n_workers, usable_cpus(), record.trials)
    if note:
        echo(f"note: {note}")
    budget = Budget(record.time_budget, record.trials, workers, started=started)
    run.update_manifest(status="searching")
    study = search(setup, budget, quiet=quiet, storage=storage, worker_target=worker_main,
                   on_trial=lambda trial: _notify(setup, trial))
    what = "ensembling and refitting" if setup.task.ensemble else "refitting"
    echo(f"search done: {plural(trials_run(study), 'trial')}; {what} the final model on all the data")
    clock = RunClock.start(budget.time_budget, time_spent(study))  # what is left of the budget, from now
    selection = choose_final(setup, study)
    refit_and_save(setup, study, selection, deadline=clock.refit_deadline())
    from automl.leaderboard import delivered_line, write_leaderboard_files

    write_leaderboard_files(run, study)
    echo(delivered_line(study, record.metric))  # what was delivered and, unless it tops the board, why
    final = open_run(run, setup.catalog)  # one object: the final model is loaded once, for all that follows
    _measure_deployment(final, setup, clock)
    _fit_finished(final, setup, clock)
    run.update_manifest(status="finished", finished=time.strftime("%Y-%m-%dT%H:%M:%S%z"))


def _measure_deployment(final: Any, setup: SearchSetup, clock: RunClock) -> None:
    """Prediction speed, size and memory of the final model (``final`` an automl.api.Run), saved in best/."""
    from automl.evidence.deployment import BUDGET_SHARE, measure

    left = clock.seconds_left()
    measure(final.dir.best, final.members(), setup.dataset.X, None if left is None else BUDGET_SHARE * left)


def _fit_finished(final: Any, setup: SearchSetup, clock: RunClock) -> None:
    """Plugins save the slow parts of their report sections now (hook ``automl_fit_finished``), so that
    ``automl report`` only reads them; they keep to what is left of the time budget."""
    from automl.evidence import budget

    with budget.ending_by(clock.end):
        _save_interval(final, setup)
        call_each(setup.catalog.pm, "automl_fit_finished", run=final)


def _save_interval(final: Any, setup: SearchSetup) -> None:
    """The report's bootstrap interval of the validation score, saved in best/ (a failure only costs speed)."""
    import logging

    from automl.evidence import saved_interval
    from automl.evidence import validation as evidence

    best = final.dir.best
    try:
        validation = evidence.load_validation(best) if (best / "model.json").is_file() else None
        if validation is not None:
            saved_interval.save(final, setup.metric, validation, setup.seed)
    except Exception as exc:  # noqa: BLE001 - the report computes the interval itself when it is not saved
        logging.getLogger(__name__).warning("the bootstrap interval was not saved for the report: %s", exc)


def _notify(setup: SearchSetup, trial: Any) -> None:
    call_each(setup.catalog.pm, "automl_trial_finished", run=setup.run, trial=trial)


def build_setup(run: RunDir, catalog: Catalog, dataset: Any = None, workers: int | None = None) -> SearchSetup:
    record = run.record
    task = catalog.task(record.task)
    if dataset is None:
        source = record.data.path
        if not source or not Path(source).exists():
            raise UserError(f"the training data {source} of run {run.path} is gone; restore it to resume")
        if fingerprint(source) != record.data.fingerprint:
            raise UserError(
                f"the training data {source} changed since run {run.path} started; restore it or start a new run"
            )
        dataset = task.load(source, {"target": record.target, **record.task_options,
                                     **task_option_rules.metric_hint(catalog, task.name, record.metric)})
    metric = catalog.metric(task.name, dataset.kind, record.metric)
    n_workers = workers or record.n_workers
    return SearchSetup(
        catalog=catalog,
        run=run,
        task=task,
        dataset=dataset,
        folds=task.split(dataset, int(record.seed)),
        metric=metric,
        models={key: catalog.model(task.name, key) for key in record.models},
        seed=int(record.seed),
        n_threads=max(1, usable_cpus() // n_workers),
        trial_timeout=record.trial_timeout,
        extra_metrics=[m for m in catalog.metrics_for(task.name, dataset.kind) if m.name != metric.name],
    )


def usable_cpus() -> int:
    """CPUs this process may run on (respects taskset and container CPU sets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _artifact_location(given: str | None) -> str | None:
    """``--artifacts``: an S3 URL (boto3 needed) or a folder, made absolute and created."""
    if not given:
        return None
    if "://" in given:
        if not given.startswith("s3://"):
            raise UserError(f"--artifacts {given}: give a folder (a shared NFS path works) or s3://bucket/prefix")
        from automl.storage import _s3_store

        _s3_store(given)  # checks boto3 and the URL now, not in the middle of the search
        return given
    path = Path(given).expanduser().resolve()
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"--artifacts {given}: cannot create the folder ({exc.strerror})") from None
    return str(path)


def worker_main(run_path: str | None, index: int, deadline: float | None, max_trials: int | None,
                storage: str | None, study_name: str | None = None, threads: int | None = None) -> None:
    """A search process joining a run's study (a local ``--workers`` process or ``automl worker``).

    With ``run_path`` the run folder is read (on this machine or a shared
    mount); with only ``storage`` and ``study_name`` the run's manifest comes
    from the study itself, and the data and artifact paths it names must be
    reachable from this machine.
    """
    import shutil

    from automl.terminal import safe_log_lines

    safe_log_lines()  # a spawned --workers process logs like the command that started it
    from automl.search import isolation

    isolation.allow_budget_forks()  # a worker process runs no model outside its trials' children
    run, scratch = _worker_run(run_path, storage, study_name)
    try:
        if not run.storage_url(storage):  # under Optuna's append lock a torn tail is a crash's: safe to move out
            _repair_journal(run, _quiet_echo if index < REMOTE_WORKER_INDEX else _print_note)
        record = run.record
        source = record.data.path
        if source and not Path(source).exists():
            raise UserError(
                f"the training data {source} of run {record.name} is not reachable from this machine; "
                "make it available at the same path (e.g. on a shared NFS mount) and start the worker again"
            )
        run.artifact_store()  # a clear error now if the shared artifact folder is not mounted here
        # a local --workers process shares the machine's CPUs; 'automl worker' on a server database
        # (index >= 1000) is meant to have a machine, or a CPU set, of its own
        remote = index >= REMOTE_WORKER_INDEX and run.storage_url(storage)
        setup = build_setup(run, build_catalog(), workers=1 if remote else None)
        if threads:  # workers sharing a machine: each model's OpenMP pool must not spin on the others' cores
            setup.n_threads = threads
        study = open_study(run, setup.metric.direction, setup.seed, worker=index, storage=storage)
        if deadline is None:
            deadline = remaining_deadline(study, Budget(record.time_budget, record.trials))
        if max_trials is None:
            max_trials = record.trials
        objective = Objective(setup, deadline, Budget(record.time_budget).search_seconds(),
                              refit_bounds(record.time_budget))
        run_loop(study, objective, deadline, max_trials, ask_lock(run, storage),
                 callbacks=(lambda _study, trial: _notify(setup, trial),))
    finally:
        if scratch:
            shutil.rmtree(run.path, ignore_errors=True)


def _worker_run(run_path: str | None, storage: str | None, study_name: str | None) -> tuple[RunDir, bool]:
    """The run a worker joins, and whether it is a scratch copy made from the study (to delete at the end)."""
    import tempfile

    import optuna

    from automl.storage import open_rdb_storage

    if run_path is not None:
        return RunDir.open(run_path), False
    if not storage or not study_name:
        raise UserError(
            "give the run folder (automl worker RUN) or the study (automl worker --storage URL --study NAME)"
        )
    backend = open_rdb_storage(storage)
    try:
        study = optuna.load_study(study_name=study_name, storage=backend)
    except KeyError:
        names = ", ".join(optuna.get_all_study_names(backend)) or "none"
        raise UserError(
            f"no study '{study_name}' in {redact_url(storage)}; the studies there are: {names}"
        ) from None
    published = study.user_attrs.get(RUN_ATTR)
    if not published:
        raise UserError(f"study '{study_name}' in {redact_url(storage)} was not started by 'automl fit'")
    shared = Path(published["run_dir"])
    if (shared / "run.json").is_file():
        return RunDir.open(shared), False
    scratch = RunDir(Path(tempfile.mkdtemp(prefix=f"automl-worker-{study_name}-")))
    scratch.write_manifest(published["manifest"])  # as the study keeps it, then checked as any run.json
    scratch.update_manifest(artifacts=published["artifacts"], storage=redact_url(storage), study=study_name)
    return scratch, True
