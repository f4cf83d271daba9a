"""The Python API: ``AutoML(...).fit(data, target=...)`` returns a :class:`Run`."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from automl import integrity
from automl.catalog import Catalog, build_catalog
from automl.errors import UserError
from automl.manifest_check import check_model, read_json
from automl.records import ModelRecord, RunRecord
from automl.runs import RunDir
from automl.search.ensemble import blend
from automl.specs import DataSource

if TYPE_CHECKING:  # the search machinery (optuna) is imported by fit and resume, not by predict or report
    from automl.workflow import Echo


class AutoML:
    """Search model families and hyperparameters for a data set within a budget.

    >>> run = AutoML(time_budget=60).fit("customers.csv", target="churned")  # doctest: +SKIP
    >>> run.leaderboard().head()  # doctest: +SKIP
    """

    def __init__(
        self,
        task: str = "auto",
        metric: str | None = None,
        time_budget: float | None = 300.0,
        trials: int | None = None,
        workers: int = 1,
        storage: str | None = None,
        run_dir: str | Path | None = None,
        seed: int = 0,
        models: Sequence[str] | None = None,
        trial_timeout: float | None = None,
        force: bool = False,
        quiet: bool = True,
        preset: str | Path | None = None,
        problem_type: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        from automl.workflow import FitOptions

        given = dict(options or {})
        if problem_type is not None:  # kept as an argument of its own: a tabular option, older code passes it
            given["problem_type"] = problem_type
        self.options = FitOptions(
            task=task, metric=metric, time_budget=time_budget, trials=trials, workers=workers,
            storage=storage, run_dir=run_dir, seed=seed, models=models, trial_timeout=trial_timeout,
            force=force, quiet=quiet,
            task_options=given,  # the task's options (its declarations: 'automl fit --help'), checked at fit
        )
        if preset is not None:  # a preset name or YAML file: fills task, metric and budget left at their defaults
            from automl import presets

            self.options = presets.apply(presets.load(preset), self.options)

    def fit(self, data: DataSource, target: str | None = None, echo: Echo | None = None,
            **options: Any) -> Run:
        """Search, refit and save the best model for ``data``; ``echo`` receives the ``note:`` and progress lines.

        ``options`` may set any argument of ``AutoML(...)`` for this fit only (``run_dir``, ``time_budget``,
        ``force``...); the others are task options (``text_column``, ``horizon``...), and one the task does not
        read is refused. A problem is one :class:`UserError` naming the Python argument, not the command's flag.
        """
        import dataclasses

        from automl.errors import in_python_words
        from automl.workflow import FitOptions, _quiet_echo, start_run

        echo = echo or _quiet_echo
        own = {f.name for f in dataclasses.fields(FitOptions)} - {"task_options", "target", "started", "preset"}
        overrides = {name: value for name, value in options.items() if name in own}
        task_options = {name: value for name, value in options.items() if name not in own}
        chosen = dataclasses.replace(self.options, **overrides, target=target,
                                     task_options={**self.options.task_options, **task_options})
        try:
            return Run(start_run(data, chosen, echo=echo, open_run=Run))
        except UserError as exc:
            exc.args = (in_python_words(str(exc)),)
            raise


class Run:
    """A finished (or interrupted) run directory, with its leaderboard and final model."""

    def __init__(self, run_dir: RunDir, catalog: Catalog | None = None) -> None:
        self.dir = run_dir
        self._catalog = catalog
        self._members: list[tuple[Any, float]] | None = None
        self._fold_models: dict[int, list[Any]] = {}
        self._study: Any = None
        self._verified = False
        self._trust = integrity.UNVERIFIED

    @classmethod
    def load(cls, path: str | Path) -> Run:
        return cls(RunDir.open(path))

    @property
    def path(self) -> Path:
        return self.dir.path

    @property
    def manifest(self) -> dict[str, Any]:
        """``run.json`` as a checked dict, for hashing or copying it whole; read its values from :attr:`record`."""
        return self.dir.manifest

    @property
    def record(self) -> RunRecord:
        """The checked ``run.json``, typed."""
        return self.dir.record

    @property
    def catalog(self) -> Catalog:
        if self._catalog is None:
            self._catalog = build_catalog()
        return self._catalog

    def study(self, storage: str | None = None):  # noqa: ANN201 - an optuna Study
        """The run's Optuna study, opened once per ``Run`` for its own storage (a journal study reads the lines
        appended since on every query, so it stays current); the explanations ask for it per member and trial."""
        from automl.leaderboard import load_study

        if storage is not None:
            return load_study(self.dir, storage)
        if self._study is None:
            self._study = load_study(self.dir)
        return self._study

    def leaderboard_rows(self) -> list[dict[str, Any]]:
        from automl.leaderboard import rows

        return rows(self.study(), self.record.metric)

    def leaderboard(self) -> pd.DataFrame:
        from automl.leaderboard import to_frame

        return to_frame(self.leaderboard_rows())

    def resume(self, quiet: bool = True) -> Run:
        from automl.workflow import resume_run

        resume_run(self.path, quiet=quiet, open_run=Run)
        self._members = None
        self._fold_models = {}
        self._study = None
        self._verified = False
        return self

    # -- the final model ---------------------------------------------------------
    def verify(self) -> None:
        """Check ``best/`` and run.json against the checksums recorded when the run finished (once).

        Every read of the final model goes through here first; see :mod:`automl.integrity`.
        """
        if not self._verified:
            self._trust = integrity.verify(self.dir.best, self.dir.manifest, self.dir.manifest_path)
            self._verified = True

    def _best_json(self, name: str) -> Any:
        path = self.dir.best / name
        self.verify()
        try:
            return read_json(path)  # bounded in size and depth
        except (OSError, ValueError) as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise UserError(f"{path} is unreadable or not JSON; the run directory is damaged") from exc

    def model_record(self) -> ModelRecord:
        """``best/model.json``, typed, after the checksums are verified and its shape is checked.

        Its shape (a task name, a list of member objects) is checked before :meth:`ModelRecord.from_json`
        (:func:`automl.manifest_check.check_model`); the types of a member's values are checked by
        :func:`automl.integrity.member_folder` before the member loads.
        """
        path = self.dir.best / "model.json"
        if not path.is_file():
            from automl.runs import quoted_command

            raise UserError(f"run {self.path} has no final model yet; finish it with "
                            f"{quoted_command('automl', 'resume', self.path)}")
        description = self._best_json("model.json")
        check_model(description, path)
        return ModelRecord.from_json(description)

    def schema(self) -> dict[str, Any]:
        return self._best_json("schema.json")

    def members(self) -> list[tuple[Any, float]]:
        """The final model's loaded members and their weights (loaded once, after the checksums are verified)."""
        from automl.search.members import load_member

        if self._members is None:
            record = self.model_record()
            folders = [integrity.member_folder(self.dir.best, m, i) for i, m in enumerate(record.members)]
            specs = [self.catalog.model(record.task, str(m.model)) for m in record.members]
            loads = list(zip(specs, folders, record.members, strict=True))
            if self._trust != integrity.SIGNED:  # not written by this machine: a native crash stays in a child
                from automl import probe

                probe.probe_each(
                    (f"the model in {probe.describe(folder)}", lambda s=spec, f=folder, m=member: load_member(s, f, m))
                    for spec, folder, member in loads
                )
            self._members = [
                (load_member(spec, folder, member), float(member.weight or 0.0)) for spec, folder, member in loads
            ]
        return self._members

    def ranked_trials(self) -> list[Any]:
        """The completed trials with saved models, best first (ties: the task's tie-breaking metric)."""
        from automl.search.finalize import ranked_trials

        return ranked_trials(self.study())

    def has_fold_models(self, number: int) -> bool:
        """Whether trial ``number`` kept its fold models in the safe archive (runs of older automl pickled them)."""
        from automl.search import artifacts

        trial = next((t for t in self.study().get_trials(deepcopy=False) if t.number == number), None)
        return trial is not None and artifacts.has_models(trial)

    def fold_models(self, number: int) -> list[Any]:
        """Trial ``number``'s fold models, each fitted without one validation fold (for out-of-fold
        explanations), loaded once: the final model's own copies when a member serves them (it was not
        refit; then they are loaded with the final model), else from the trial's safe archive.

        A 300-tree forest's five folds take 5 to 7 s to load; loading them twice at the end of a fit broke
        a 20 s budget by 15 s.
        """
        from automl.search import artifacts
        from automl.search.members import FoldAverage
        from automl.search.space import MODEL_PARAM

        if number not in self._fold_models:
            described = self.model_record().members
            serving = [i for i, m in enumerate(described) if m.trial == number and m.n_folds]
            if serving:
                model = self.members()[serving[0]][0]
                models = model.models if isinstance(model, FoldAverage) else [model]
            else:
                trial = next(t for t in self.study().get_trials(deepcopy=False) if t.number == number)
                spec = self.catalog.model(self.record.task, trial.params[MODEL_PARAM])
                models = artifacts.load_models(self.dir.artifact_store(), trial, spec)
            self._fold_models[number] = models
        return self._fold_models[number]

    def predict(self, data: DataSource | None = None, **options: Any) -> pd.DataFrame:
        """Predictions for new data, in the task's output format (see docs/architecture.md).

        ``options`` override the saved schema's prediction settings, such as a
        recommender's ``top_k``: the task options it declares ``at_predict``. ``data``
        may be left out only for a task that predicts from the model alone
        (forecasts of the periods after the training data).
        """
        if data is not None and not isinstance(data, pd.DataFrame | str | os.PathLike):
            raise UserError(  # a list or an array would fail deep in a task's reader
                f"cannot predict data of type {type(data).__name__}; pass a file or folder path (str or Path) "
                "or a pandas DataFrame"
            )
        task = self.catalog.task(self.model_record().task)
        if data is None and task.needs_input:
            raise UserError(f"give the file to predict: a {task.name} model predicts the rows of a file you pass")
        from automl.task_options import check_at_predict

        schema = {**self.schema(), **check_at_predict(task, options)}
        batch = task.prepare(data, schema)
        members = self.members()
        raw = blend([np.asarray(model.predict(batch.X)) for model, _ in members], [w for _, w in members])
        return task.format_predictions(raw, batch, schema)

    def report(self, out: str | Path | None = None, slice_by: str | None = None) -> Path:
        """Write report.html and report.md (to the run directory, or ``out``); ``slice_by`` adds fairness."""
        from automl.report import write_report

        return write_report(self, out, slice_by=slice_by)
