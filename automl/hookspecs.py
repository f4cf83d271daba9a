"""Every hook a plugin can implement.

Tasks, models, metrics and use-case presets are registered as data through
generic ``automl_register_*`` hooks rather than one hook per task, so adding a
task never changes the core. docs/hooks.md documents each hook; a test fails when
one is missing there.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import pluggy

from automl.specs import MetricSpec, ModelSpec, TaskSpec

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from automl.presets import Preset
    from automl.report.document import Section

PROJECT = "automl"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def automl_register_tasks(register: Callable[[TaskSpec], None]) -> None:
    """Register task types by calling ``register(TaskSpec(...))`` once per task.

    Called each time the catalog is built (:func:`automl.catalog.build_catalog`:
    at the start of every command and in every worker process, so possibly
    several times per process). Keep it cheap and free of side effects. Tasks
    are collected from every plugin first, then metrics, then models.
    """


@hookspec
def automl_register_models(register: Callable[[ModelSpec], None]) -> None:
    """Register model families by calling ``register(ModelSpec(...))``.

    A plugin may add models to any task, including tasks of other plugins.
    Called each time the catalog is built, after the tasks and metrics.
    """


@hookspec
def automl_register_metrics(register: Callable[[MetricSpec], None]) -> None:
    """Register metrics by calling ``register(MetricSpec(...))``.

    Called each time the catalog is built, after the tasks and before the models.
    """


@hookspec
def automl_register_presets(register: Callable[[Preset | Traversable], None]) -> None:
    """Register use-case presets by calling ``register(...)`` once per preset.

    Pass a YAML file (a :class:`pathlib.Path`, or ``importlib.resources.files(
    __name__) / "presets" / "NAME.yaml"`` so it is found in an installed wheel
    too) or an :class:`automl.presets.Preset`. Each is checked as a user's
    preset file is; the name must be unique across plugins. Called when presets
    are listed or looked up (``automl presets``, ``--preset``, ``AutoML(preset=)``),
    not when the catalog is built.
    """


@hookspec
def automl_trial_finished(run: Any, trial: Any) -> None:
    """Notification after each trial ends, whatever its state.

    ``run`` is the :class:`automl.runs.RunDir`; ``trial`` is an
    ``optuna.trial.FrozenTrial``. Use it for loggers and notifiers; exceptions
    raised here are logged and do not stop the search. Called in the process
    that started or resumed the run, not in extra worker processes.
    """


@hookspec
def automl_fit_finished(run: Any) -> None:
    """Notification once the final model is saved in ``best/``, before the fit writes its report.

    ``run`` is the finished :class:`automl.api.Run`. Compute here the slow
    parts of the plugin's report section (once, instead of at every ``automl
    report``) and save them with ``automl.kit.cache.save_json``; the section
    reads them back with ``cache.load_json``. Keep to
    ``automl.kit.budget.seconds_left()``, what is left of the fit's time budget.
    Called by ``automl fit`` and ``automl resume`` in the process that refit
    the model; exceptions are logged and do not stop the fit.
    """


@hookspec
def automl_report_sections(run: Any) -> list[Section] | None:
    """Return report sections for a run of any task as :class:`automl.kit.Section` objects, or None.

    ``run`` is the finished :class:`automl.api.Run`. The core renders a
    section's HTML and Markdown and escapes every text. A task's own sections
    belong in ``TaskSpec.report`` instead (asked for only for its runs). The
    older form, ``{"title", "markdown", "html"}`` dicts whose ``html`` the
    plugin escapes itself, is still accepted.
    """
