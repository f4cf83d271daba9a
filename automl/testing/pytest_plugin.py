"""pytest fixtures for plugin tests, registered through the ``pytest11`` entry point."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pluggy
import pytest

from automl.plugins import make_plugin_manager, register_plugin, unregister_plugin


@pytest.fixture
def automl_register_plugin() -> Iterator[Callable[..., str]]:
    """``automl_register_plugin(obj, name=None)`` adds a plugin for this test only.

    The plugin is always unregistered afterwards, even when the test fails.
    """
    names: list[str] = []

    def register(plugin: object, name: str | None = None) -> str:
        names.append(register_plugin(plugin, name))
        return names[-1]

    yield register
    for name in names:
        unregister_plugin(name)


@pytest.fixture
def automl_plugin_manager(automl_register_plugin: Callable[..., str]) -> pluggy.PluginManager:
    """A fresh plugin manager with the installed plugins and those this test registered."""
    return make_plugin_manager()
