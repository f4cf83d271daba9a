"""A plugin declared as data: its tasks, models, metrics, presets and report section, with the hooks written once.

Every built-in task plugin used to repeat the same five hook functions (register
the task, loop over the models, loop over the metrics, register a preset file,
return the report section). A :class:`TaskPlugin` holds what they register and
implements those hooks for it; an entry point names the object::

    [project.entry-points.automl]
    anomaly = "automl_anomaly:PLUGIN"

Writing the hook functions by hand (docs/hooks.md) still works, and a plugin
with other hooks can subclass this one and add them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from typing import TYPE_CHECKING, Any

from automl.hookspecs import hookimpl

if TYPE_CHECKING:
    from automl.presets import Preset
    from automl.report.document import Section
    from automl.specs import MetricSpec, ModelSpec, TaskSpec

ReportSection = Callable[[Any], "list[Section] | None"]


@dataclass(frozen=True)
class TaskPlugin:
    """What a plugin registers. ``presets`` are :class:`automl.presets.Preset` objects or YAML files of the
    package (``importlib.resources.files(__name__) / "presets" / "x.yaml"``: an installed wheel holds them).

    ``report_section(run)`` returns report sections for a run of any task (a cross-cutting plugin; a task's
    own sections are ``TaskSpec.report``, asked for only for its runs), None when it has none for it;
    ``fit_finished(run)`` saves what the report would be slow to compute, at the end of a fit.
    """

    tasks: Sequence[TaskSpec] = ()
    models: Sequence[ModelSpec] = ()
    metrics: Sequence[MetricSpec] = ()
    presets: Sequence[Preset | Traversable] = ()
    report_section: ReportSection | None = None
    fit_finished: Callable[[Any], None] | None = None

    @hookimpl
    def automl_register_tasks(self, register: Callable[[TaskSpec], None]) -> None:
        for spec in self.tasks:
            register(spec)

    @hookimpl
    def automl_register_models(self, register: Callable[[ModelSpec], None]) -> None:
        for spec in self.models:
            register(spec)

    @hookimpl
    def automl_register_metrics(self, register: Callable[[MetricSpec], None]) -> None:
        for spec in self.metrics:
            register(spec)

    @hookimpl
    def automl_register_presets(self, register: Callable[[Preset | Traversable], None]) -> None:
        for preset in self.presets:
            register(preset)

    @hookimpl
    def automl_report_sections(self, run: Any) -> list[Section] | None:
        return self.report_section(run) if self.report_section is not None else None

    @hookimpl
    def automl_fit_finished(self, run: Any) -> None:
        if self.fit_finished is not None:
            self.fit_finished(run)
