"""Use-case presets: a startup names its problem, not a metric.

A preset sets the task, the metric, the budget and task options as defaults
for ``automl fit``, and gives the report the business's words for what it
predicts. Plugins register theirs through the ``automl_register_presets``
hook (the built-ins ship YAML files in their own package: a task's presets
come and go with its plugin); a user passes the path of a YAML file instead.
Both are checked the same way when read, so a typo fails before any data is
loaded, with the file and the key named.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Container
from dataclasses import asdict, dataclass, field, fields, replace
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automl.errors import UserError
from automl.registry import Registry

if TYPE_CHECKING:
    import pluggy

    from automl.catalog import Catalog
    from automl.specs import TaskSpec
    from automl.workflow import FitOptions

SUFFIXES = (".yaml", ".yml")
WORDING_TYPES: dict[str, tuple[type, ...]] = {
    "entity": (str,), "target": (str,), "positive": (str,), "positive_label": (str, int), "labels": (dict,),
}
TOP_TYPES: dict[str, tuple[type, ...]] = {
    "name": (str,), "title": (str,), "description": (str,), "task": (str,), "metric": (str,),
    "time_budget": (int, float), "options": (dict,), "wording": (dict,),
}
REQUIRED = ("task",)


@dataclass(frozen=True)
class Preset:
    """A validated preset; ``as_dict()`` is what run.json stores under ``"preset"``.

    ``plugin`` names the plugin that registered it; it is None for a user's file.
    """

    name: str
    task: str
    title: str = ""
    description: str = ""
    metric: str | None = None
    time_budget: float | None = None
    options: dict[str, Any] = field(default_factory=dict)
    wording: dict[str, Any] = field(default_factory=dict)
    plugin: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def registered(pm: pluggy.PluginManager | None = None) -> list[Preset]:
    """Every preset the plugins register, by name, each checked as a user's file is.

    A plugin's faulty preset fails here with its file and plugin named, and two
    plugins registering one name is an error naming both, as for tasks.
    """
    from automl.catalog import build_catalog
    from automl.plugins import make_plugin_manager

    pm = pm or make_plugin_manager()
    found: Registry[Preset] = Registry("preset")
    for impl in pm.hook.automl_register_presets.get_hookimpls():
        impl.function(register=_register_for(found, impl.plugin_name))
    catalog = build_catalog(pm)
    for preset in found:  # its options against its task's declarations (a task not installed: when used)
        if preset.task in catalog.tasks:
            _check_options(preset, catalog.task(preset.task), catalog, f"'{preset.name}' of plugin '{preset.plugin}'")
    return sorted(found, key=lambda preset: preset.name)


def _register_for(found: Registry[Preset], plugin: str) -> Callable[[Preset | Traversable], None]:
    def register(source: Preset | Traversable) -> None:
        preset = replace(_from_plugin(source, plugin), plugin=plugin)
        found.add(preset.name, preset, plugin)

    return register


def _from_plugin(source: Preset | Traversable, plugin: str) -> Preset:
    """A registered preset re-checked like a file: a plugin's typo must not reach run.json."""
    if isinstance(source, Preset):
        data = {k: v for k, v in source.as_dict().items() if k != "plugin" and v not in (None, "", {})}
        return _checked(data, f"'{source.name}' of plugin '{plugin}'", source.name)
    if not (hasattr(source, "read_text") and isinstance(getattr(source, "name", None), str)):
        raise UserError(f"plugin '{plugin}' registered a preset of type {type(source).__name__}; "
                        "register a Preset or a .yaml file (a pathlib.Path or an importlib.resources file)")
    where = f"{source.name} of plugin '{plugin}'"
    try:
        text = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"preset {where} cannot be read ({type(exc).__name__}); "
                        f"fix the plugin or disable it with AUTOML_DISABLE_PLUGINS={plugin}") from None
    return _parse(text, where, source.name.rsplit(".", 1)[0])


def names(pm: pluggy.PluginManager | None = None) -> list[str]:
    return [preset.name for preset in registered(pm)]


def load(name_or_path: str | Path, pm: pluggy.PluginManager | None = None) -> Preset:
    """A registered preset by name, or a preset file by path (anything ending in .yaml/.yml or that exists)."""
    text = str(name_or_path)
    path = Path(text)
    if text.endswith(SUFFIXES) or path.is_file():
        if not path.is_file():
            raise UserError(f"preset file {path} not found; check the path, or name a preset: "
                            f"{', '.join(names(pm)) or '(none registered)'}")
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise UserError(f"preset file {path} is not UTF-8 text; save it as UTF-8 YAML") from None
        return _parse(text, str(path), path.stem)
    available = {preset.name: preset for preset in registered(pm)}
    if text not in available:
        close = difflib.get_close_matches(text, available, n=1)
        hint = f"did you mean '{close[0]}'? " if close else ""
        raise UserError(f"unknown preset '{text}'; {hint}available presets: {', '.join(available) or '(none)'} "
                        "(or pass a path to a .yaml file)")
    return available[text]


def _parse(text: str, where: str, stem: str) -> Preset:
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark, problem = getattr(exc, "problem_mark", None), getattr(exc, "problem", None)
        line = f" at line {mark.line + 1}" if mark is not None else ""
        raise UserError(f"preset {where} is not valid YAML{line}" + (f" ({problem})" if problem else "")
                        + "; fix the file") from None
    if not isinstance(data, dict):
        raise UserError(f"preset {where} must be a mapping of keys (task, metric, ...), not {_kind(data)}")
    return _checked(data, where, stem)


def _checked(data: dict[str, Any], where: str, stem: str) -> Preset:
    _check_keys(data, TOP_TYPES, where, "")
    for key in REQUIRED:
        if key not in data:
            raise UserError(f"preset {where} lacks the key '{key}'; add e.g. '{key}: tabular'")
    _check_option_names(data.get("options") or {}, where)  # their values: by the task's declarations (check)
    _check_wording(data.get("wording") or {}, where)
    budget = data.get("time_budget")
    if budget is not None and budget <= 0:
        raise UserError(f"preset {where}: 'time_budget' must be a positive number of seconds, not {budget}")
    return Preset(name=data.get("name", stem), task=data["task"], title=data.get("title") or data.get("name", stem),
                  description=data.get("description", ""), metric=data.get("metric"),
                  time_budget=None if budget is None else float(budget), options=dict(data.get("options") or {}),
                  wording=dict(data.get("wording") or {}))


def _check_keys(data: Any, types: dict[str, tuple[type, ...]], where: str, prefix: str) -> None:
    if not isinstance(data, dict):
        raise UserError(f"preset {where}: '{prefix.rstrip('.')}' must be a mapping, not {_kind(data)}")
    for key, value in data.items():
        if key not in types:
            raise UserError(f"preset {where}: unknown key '{prefix}{key}'; valid keys: {', '.join(types)}")
        if value is None and prefix:
            continue
        if isinstance(value, bool) or not isinstance(value, types[key]):
            wanted = " or ".join(_TYPE_NAMES[t] for t in types[key] if not (t is int and float in types[key]))
            raise UserError(f"preset {where}: '{prefix}{key}' must be {wanted}, not {_kind(value)} ({value!r})"
                            + _quote_hint(value))


def _check_option_names(options: Any, where: str) -> None:
    if not isinstance(options, dict):
        raise UserError(f"preset {where}: 'options' must be a mapping, not {_kind(options)}")
    for key in options:
        if not isinstance(key, str) or not key.isidentifier():
            raise UserError(f"preset {where}: 'options' has the key {key!r}; option names are like 'horizon'")


def _check_options(preset: Preset, task: TaskSpec, catalog: Catalog, where: str | None = None) -> None:
    """The preset's options against what its task declares, named as a preset names them."""
    from automl.errors import in_python_words
    from automl.task_options import check_given

    try:
        check_given(task, preset.options, catalog)
    except UserError as exc:
        raise UserError(f"preset {where or repr(preset.name)}: option {in_python_words(str(exc))}") from None


def _check_wording(wording: Any, where: str) -> None:
    _check_keys(wording, WORDING_TYPES, where, "wording.")
    for raw, name in (wording.get("labels") or {}).items():
        if isinstance(raw, bool) or isinstance(name, bool) or not isinstance(name, str):
            raise UserError(f"preset {where}: 'wording.labels' maps raw labels to business names as text, "
                            f"not {raw!r}: {name!r}" + _quote_hint(raw if isinstance(raw, bool) else name))


def _quote_hint(value: Any) -> str:
    """YAML 1.1 reads yes/no/on/off as booleans, which never match a label in the data."""
    return "; put quotes around yes/no/true/false labels" if isinstance(value, bool) else ""


_TYPE_NAMES = {str: "text", int: "a whole number", float: "a number", dict: "a mapping", list: "a list"}


def _kind(value: Any) -> str:
    named = {bool: "true/false", type(None): "empty", **_TYPE_NAMES}
    return named.get(type(value), type(value).__name__)


def check(preset: Preset, catalog: Catalog) -> None:
    """The task is installed and the metric is one of its metrics (the kind is checked at fit time)."""
    try:
        task = catalog.task(preset.task)
    except UserError as exc:
        raise UserError(f"preset '{preset.name}': {exc}") from None
    if preset.metric is not None and f"{task.name}:{preset.metric}" not in catalog.metrics:
        valid = sorted({m.name for m in catalog.metrics if task.name in m.tasks})
        raise UserError(f"preset '{preset.name}': metric '{preset.metric}' is not a {task.name} metric; "
                        f"valid: {', '.join(valid) or '(none)'}")
    _check_options(preset, task, catalog)


PRESET_FIELDS = ("task", "metric", "time_budget")


def apply(preset: Preset, options: FitOptions, explicit: Container[str] | None = None) -> FitOptions:
    """``options`` with the preset's values wherever the user did not set one.

    ``explicit`` names the FitOptions fields the user gave (the CLI asks click);
    without it a field still at its default counts as not given (the Python API).
    """
    from automl.workflow import FitOptions

    defaults = {f.name: f.default for f in fields(FitOptions) if f.name in PRESET_FIELDS}
    given: Callable[[str], bool] = (
        (lambda name: getattr(options, name) != defaults[name]) if explicit is None else explicit.__contains__
    )
    chosen = {"task": preset.task, "metric": preset.metric, "time_budget": preset.time_budget}
    changes = {name: value for name, value in chosen.items() if value is not None and not given(name)}
    return replace(options, **changes, task_options={**preset.options, **options.task_options},
                   preset=preset.as_dict())


def listing(presets: list[Preset]) -> list[str]:
    """One aligned line per preset: name, title, task, metric, budget, its plugin, then the description."""
    cells = [[p.name, p.title, p.task, p.metric or "default metric",
              f"{p.time_budget:g} s" if p.time_budget else "no budget",
              f"plugin {p.plugin}" if p.plugin else "a file"] for p in presets]
    widths = [max((len(row[i]) for row in cells), default=0) for i in range(6)]
    return ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + "  " + p.description
            for row, p in zip(cells, presets, strict=True)]


def describe(preset: Preset, options: FitOptions) -> str:
    """The line echoed when a preset is applied, with the values that will really be used."""
    metric = f"metric {options.metric}" if options.metric else "the task's default metric"
    budget = f"{options.time_budget:g} s budget" if options.time_budget else "no time budget"
    return f"preset {preset.name}: {options.task}, {metric}, {budget}"
