"""Everything the installed plugins registered: tasks, models and metrics.

Each hook implementation is called with a ``register`` function bound to its
plugin's name, so a duplicate key names both plugins that claimed it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pluggy

from automl.errors import UserError
from automl.plugins import check_hooks, make_plugin_manager
from automl.registry import Registry
from automl.specs import MetricSpec, ModelSpec, TaskSpec


@dataclass
class Catalog:
    pm: pluggy.PluginManager
    tasks: Registry[TaskSpec] = field(default_factory=lambda: Registry("task"))
    models: Registry[ModelSpec] = field(default_factory=lambda: Registry("model"))
    metrics: Registry[MetricSpec] = field(default_factory=lambda: Registry("metric"))

    # -- lookups that fail with the valid choices for the task at hand --------
    def task(self, name: str) -> TaskSpec:
        return self.tasks.get(name)

    def models_for(self, task: str, kind: str | None = None) -> list[ModelSpec]:
        return [m for m in self.models if m.task == task and (kind is None or m.supports(kind))]

    def model(self, task: str, key: str) -> ModelSpec:
        full_key = f"{task}:{key}"
        if full_key not in self.models:
            valid = ", ".join(sorted(m.key for m in self.models_for(task))) or "(none registered)"
            raise UserError(f"unknown model '{key}' for task '{task}'; valid: {valid}")
        return self.models.get(full_key)

    def metrics_for(self, task: str, kind: str) -> list[MetricSpec]:
        return [m for m in self.metrics if m.applies_to(task, kind)]

    def metric(self, task: str, kind: str, name: str) -> MetricSpec:
        for spec in self.metrics_for(task, kind):
            if spec.name == name:
                return spec
        valid = ", ".join(sorted(m.name for m in self.metrics_for(task, kind))) or "(none)"
        raise UserError(f"unknown metric '{name}' for a {kind} {task} task; valid: {valid}")

    def plugin_of(self, registry: Registry[Any], key: str) -> str:
        return registry.owner(key)


def _collect(pm: pluggy.PluginManager, hook_name: str, register_for) -> None:  # noqa: ANN001
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        impl.function(register=register_for(impl.plugin_name))


def build_catalog(pm: pluggy.PluginManager | None = None) -> Catalog:
    """Ask every plugin to register its tasks, models and metrics."""
    pm = pm or make_plugin_manager()
    check_hooks(pm)
    catalog = Catalog(pm)

    def task_register(plugin: str):  # noqa: ANN202
        return lambda spec: catalog.tasks.add(spec.name, spec, plugin)

    def model_register(plugin: str):  # noqa: ANN202
        return lambda spec: catalog.models.add(f"{spec.task}:{spec.key}", spec, plugin)

    def metric_register(plugin: str):  # noqa: ANN202
        def register(spec: MetricSpec) -> None:
            for task in spec.tasks:
                catalog.metrics.add(f"{task}:{spec.name}", spec, plugin)

        return register

    _collect(pm, "automl_register_tasks", task_register)
    _collect(pm, "automl_register_metrics", metric_register)
    _collect(pm, "automl_register_models", model_register)
    return catalog
