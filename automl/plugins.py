"""Builds the plugin manager from the ``automl`` entry points.

The built-in plugins are found exactly as third-party ones are, through the
entry points their distribution declares (pyproject.toml): the core keeps no
list of them, so removing or adding a plugin never touches it. A plugin that
fails to import is reported as broken and skipped, so one bad plugin never
takes the others down. Hook names are checked at start-up, so a
misspelled hook fails loudly instead of silently never being called.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import os
import warnings
from dataclasses import dataclass
from importlib.metadata import entry_points

import pluggy

from automl import hookspecs
from automl.errors import UserError

log = logging.getLogger(__name__)

DISABLE_ENV = "AUTOML_DISABLE_PLUGINS"


class PluginLoadWarning(UserWarning):
    """A plugin could not be imported and was skipped."""


@dataclass(frozen=True)
class BrokenPlugin:
    name: str
    module: str
    error: str


_EXTRA_PLUGINS: dict[str, object] = {}


def register_plugin(plugin: object, name: str | None = None) -> str:
    """Add a plugin object (module, class or instance) to every plugin manager built from now on.

    For tests and notebooks; installed plugins use the ``automl`` entry-point group.
    Returns the name to pass to :func:`unregister_plugin`.
    """
    plugin_name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    _EXTRA_PLUGINS[plugin_name] = plugin
    return plugin_name


def unregister_plugin(name: str) -> None:
    _EXTRA_PLUGINS.pop(name, None)


def disabled_plugins() -> set[str]:
    return {name.strip() for name in os.environ.get(DISABLE_ENV, "").split(",") if name.strip()}


def installed_plugins() -> dict[str, str]:
    """Plugin name -> module path of every ``automl`` entry point, the built-ins' included.

    The first distribution declaring a name wins, as Python's import would.
    """
    found: dict[str, str] = {}
    for ep in entry_points(group=hookspecs.PROJECT):
        found.setdefault(ep.name, ep.value)
    return found


def builtin_plugins() -> dict[str, str]:
    """The plugins declared by automl's own distribution: its entry points, not a list kept here."""
    return {ep.name: ep.value for ep in entry_points(group=hookspecs.PROJECT)
            if ep.dist is not None and ep.dist.name == hookspecs.PROJECT}


def _load(value: str) -> object:
    """An entry point's object: ``module`` (its hook functions) or ``module:attribute`` (e.g. a TaskPlugin)."""
    module_name, _, attribute = value.partition(":")
    plugin: object = importlib.import_module(module_name.strip())
    for part in filter(None, attribute.strip().split(".")):
        plugin = getattr(plugin, part)
    return plugin


def make_plugin_manager(load_entry_points: bool = True) -> pluggy.PluginManager:
    """A checked plugin manager. ``pm.broken`` lists plugins that failed to import.

    ``load_entry_points=False`` leaves out every installed plugin, built-ins included:
    only those added with :func:`register_plugin` are registered (for tests).
    """
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    pm.broken = []  # type: ignore[attr-defined]
    blocked = disabled_plugins()
    for name in blocked:
        pm.set_blocked(name)
    candidates = installed_plugins() if load_entry_points else {}
    for name, module_path in candidates.items():
        if name in blocked:
            continue
        try:
            plugin = _load(module_path)
        except Exception as exc:  # noqa: BLE001 - any import failure marks the plugin broken
            message = f"{type(exc).__name__}: {exc}"
            pm.broken.append(BrokenPlugin(name, module_path, message))  # type: ignore[attr-defined]
            warnings.warn(
                f"plugin '{name}' ({module_path}) failed to import and was skipped: {message}",
                PluginLoadWarning,
                stacklevel=2,
            )
            continue
        pm.register(plugin, name=name)
    for name, plugin in _EXTRA_PLUGINS.items():
        if name not in blocked:
            pm.register(plugin, name=name)
    check_hooks(pm)
    return pm


def check_hooks(pm: pluggy.PluginManager) -> None:
    """Fail with the plugin and hook name when a plugin implements an unknown hook."""
    known = sorted(n for n in dir(hookspecs) if n.startswith(f"{hookspecs.PROJECT}_"))
    for name, caller in vars(pm.hook).items():
        if name.startswith("_") or caller.has_spec():
            continue
        for impl in caller.get_hookimpls():
            if impl.optionalhook:
                continue
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            raise UserError(
                f"plugin '{impl.plugin_name}' implements unknown hook '{name}'; {hint}"
                f"valid hooks: {', '.join(known)} (or disable it with {DISABLE_ENV}={impl.plugin_name})"
            )


def call_each(pm: pluggy.PluginManager, hook_name: str, **kwargs: object) -> list[tuple[str, object]]:
    """Call every implementation of a notification hook, isolating failures.

    One plugin raising must neither stop the run nor keep the other plugins
    from being called, so each failure is logged with the plugin's name.
    """
    results = []
    for impl in getattr(pm.hook, hook_name).get_hookimpls():
        try:
            results.append((impl.plugin_name, impl.function(**{k: kwargs[k] for k in impl.argnames})))
        except UserError as exc:  # a damaged or missing input, said in one line: no traceback to read
            log.warning("plugin '%s' skipped %s: %s", impl.plugin_name, hook_name, exc)
        except Exception:  # noqa: BLE001 - a plugin's bug must not end the run
            log.warning("plugin '%s' failed in %s", impl.plugin_name, hook_name, exc_info=True)
    return results
