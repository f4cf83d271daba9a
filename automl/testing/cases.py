"""Test-case base classes that every task plugin and model plugin should pass.

They are plain pytest classes: subclass one in a class whose name starts with
``Test`` and set the class attributes.
"""

from __future__ import annotations

import json
import keyword
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from automl.catalog import Catalog, build_catalog
from automl.errors import MissingExtra
from automl.plugins import register_plugin, unregister_plugin
from automl.specs import ModelSpec
from automl.testing.checks import SampleSetup, sample_setup, search_space_samples


class ModelSpecChecks:
    """Checks for the models a plugin registers for a task (its own or another plugin's).

    Set ``task`` to the task's name, ``plugin`` to the plugin object (module or
    class) unless it is installed, and optionally ``models`` to the model keys
    to check (default: every model of the task registered by ``plugin``).
    """

    task: ClassVar[str]
    plugin: ClassVar[Any] = None
    plugin_name: ClassVar[str | None] = None
    models: ClassVar[tuple[str, ...] | None] = None

    @pytest.fixture(autouse=True)
    def _automl_plugin(self) -> Iterator[None]:
        """Register ``plugin`` for the test unless it is installed already."""
        name = None
        if self.plugin is not None and build_catalog().pm.get_name(self.plugin) is None:
            name = register_plugin(self.plugin, self.plugin_name)
        yield
        if name:
            unregister_plugin(name)

    @pytest.fixture
    def catalog(self) -> Catalog:
        return build_catalog()

    @pytest.fixture
    def sample(self, catalog: Catalog, tmp_path_factory: pytest.TempPathFactory) -> SampleSetup:
        return sample_setup(catalog, self.task, tmp_path_factory.mktemp("sample"))

    def model_specs(self, catalog: Catalog) -> list[ModelSpec]:
        """The models under test: ``models``, else the task's models that ``plugin`` registered."""
        if self.models is not None:
            return [catalog.model(self.task, key) for key in self.models]
        specs = catalog.models_for(self.task)
        owner = catalog.pm.get_name(self.plugin) if self.plugin is not None else None
        if owner is None:
            return specs
        return [s for s in specs if catalog.models.owner(f"{s.task}:{s.key}") == owner]

    # -- the checks -----------------------------------------------------------------
    def test_model_specs_are_valid(self, catalog: Catalog) -> None:
        specs = self.model_specs(catalog)
        assert specs, f"no model is registered for task '{self.task}'"
        for spec in specs:
            assert spec.key.isidentifier() and not keyword.iskeyword(spec.key), f"model key {spec.key!r}"
            assert spec.task in catalog.tasks, f"model '{spec.key}' names unknown task '{spec.task}'"
            for part in ("search_space", "build", "save", "load"):
                assert callable(getattr(spec, part)), f"model '{spec.key}': {part} is not callable"
            json.dumps(dict(spec.defaults))
            for entry in spec.portfolio:
                json.dumps(dict(entry))

    def test_search_spaces_sample_their_defaults(self, catalog: Catalog, sample: SampleSetup) -> None:
        for spec in self.model_specs(catalog):
            if not spec.supports(sample.dataset.kind):
                continue
            for params in search_space_samples(spec, sample.context()):
                assert isinstance(params, dict), f"model '{spec.key}': search_space must return a dict"
                json.dumps(params)

    def test_save_load_round_trip_keeps_predictions(self, catalog: Catalog, sample: SampleSetup,
                                                    tmp_path: Path) -> None:
        X_train, y_train, X_valid, y_valid = sample.first_fold()
        for spec in self.model_specs(catalog):
            if not spec.supports(sample.dataset.kind):
                continue
            model = spec.build(dict(spec.defaults), sample.context()).fit(X_train, y_train, X_valid, y_valid)
            before = np.asarray(model.predict(X_valid))
            folder = tmp_path / spec.key
            folder.mkdir()
            spec.save(model, folder)
            after = np.asarray(spec.load(folder).predict(X_valid))
            np.testing.assert_allclose(after, before, rtol=1e-6, atol=1e-9,
                                       err_msg=f"model '{spec.key}' predicts differently after save and load")


class TaskPluginTestCase(ModelSpecChecks):
    """Checks for a task plugin: its task, metrics, models and a short real search within a time budget.

    ``budget`` is the short search's ``time_budget`` in seconds: the search gets
    no trial limit, so the budget is what ends it, and the whole fit (start,
    search, refit, report) must end within the tolerance every run promises
    (``max(10% of the budget, 15 s)`` past it) with a model that predicts.
    """

    budget: ClassVar[float] = 12.0

    def test_task_is_registered_with_sample_data(self, catalog: Catalog) -> None:
        task = catalog.task(self.task)
        assert task.sample_data is not None, "the conformance kit needs TaskSpec.sample_data"

    def test_presets_of_the_task_name_one_of_its_metrics(self, catalog: Catalog) -> None:
        """Every registered preset reads (a faulty one raises here, naming its file); the task's fit it."""
        from automl import presets

        for preset in presets.registered(catalog.pm):
            if preset.task == self.task:
                presets.check(preset, catalog)

    def test_metric_directions_are_right(self, catalog: Catalog, sample: SampleSetup) -> None:
        """A fitted model scores better than its own predictions shuffled across rows."""
        X_train, y_train, X_valid, y_valid = sample.first_fold()
        prediction = None
        for spec in self.model_specs(catalog):  # the first model whose predictions vary (not a constant baseline)
            prediction = np.asarray(spec.build(dict(spec.defaults), sample.context())
                                    .fit(X_train, y_train, X_valid, y_valid).predict(X_valid))
            if not np.allclose(prediction, prediction[0]):
                break
        assert prediction is not None, "no model to check the metrics with"
        shuffled = prediction[np.random.default_rng(0).permutation(len(prediction))]
        metrics = catalog.metrics_for(self.task, sample.dataset.kind)
        assert metrics, f"no metric applies to a {sample.dataset.kind} {self.task} task"
        for metric in metrics:
            fitted, random = metric.fn(y_valid, prediction), metric.fn(y_valid, shuffled)
            assert not metric.better(random, fitted), (
                f"metric '{metric.name}' ({metric.direction}) prefers shuffled predictions "
                f"({random:.4g}) to fitted ones ({fitted:.4g}): is its direction right?"
            )
        default = sample.metric
        assert default.better(default.fn(y_valid, prediction), default.fn(y_valid, shuffled)), (
            f"the default metric '{default.name}' cannot tell a fitted model from shuffled predictions"
        )

    def test_short_search_keeps_its_budget_and_predicts(self, sample: SampleSetup, tmp_path: Path) -> None:
        import time

        from automl import AutoML

        started = time.time()
        run = AutoML(task=self.task, time_budget=self.budget, trials=None, run_dir=tmp_path / "run").fit(
            sample.source, **sample.options
        )
        wall = time.time() - started  # the budget bounds fit(); a report asked for later has no budget
        allowed = self.budget + max(0.1 * self.budget, 15.0)
        assert wall <= allowed, f"a {self.budget:.0f} s budget took {wall:.1f} s (allowed {allowed:.0f} s)"
        assert run.report().is_file()
        board = run.leaderboard()
        assert (board["status"] == "COMPLETE").any(), board[["model", "status", "note"]].to_string()
        self.check_predictions(run.predict(sample.source), sample)

    def check_predictions(self, predictions: Any, sample: SampleSetup) -> None:
        """The output contract of the task's prediction file; override it for a task with another contract
        (a recommender writes K rows per user, see docs/architecture.md)."""
        assert len(predictions) == sample.dataset.n_rows
        assert "prediction" in predictions.columns

    def test_detect_does_not_claim_other_tasks(self, catalog: Catalog, tmp_path: Path) -> None:
        ours = catalog.task(self.task)
        for other in catalog.tasks:
            if other.name == self.task or other.sample_data is None:
                continue
            folder = tmp_path / other.name
            folder.mkdir()
            try:
                source, options = other.sample_data(folder)
            except MissingExtra:  # its extra is not installed (Pillow for images): it competes for nothing here
                continue
            theirs = other.detect(source, options)
            if theirs <= 0:
                continue  # that task is only chosen with --task: there is nothing to compete with
            assert ours.detect(source, options) < theirs, (
                f"task '{self.task}' claims the sample data of task '{other.name}' at least as strongly"
            )
