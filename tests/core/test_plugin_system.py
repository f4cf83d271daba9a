"""The plugin manager, the registries and a model added by a plugin defined in a test."""

from __future__ import annotations

import re
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from sklearn.dummy import DummyClassifier

import automl.plugins
from automl import AutoML, ModelSpec, UserError, hookimpl
from automl.catalog import build_catalog
from automl.kit import SklearnModel, save_skops, skops_loader
from automl.plugins import make_plugin_manager, register_plugin, unregister_plugin
from automl_plugins.tabular.demo import churn_frame


def _prior_space(trial, ctx):
    return {"strategy": trial.suggest_categorical("strategy", ["prior", "most_frequent"])}


def _prior_build(params, ctx):
    return SklearnModel(DummyClassifier(strategy=params["strategy"]), ctx.kind, len(ctx.classes), "tree", params)


PRIOR = ModelSpec(
    key="prior", task="tabular", search_space=_prior_space, build=_prior_build,
    save=save_skops, load=skops_loader(), defaults={"strategy": "prior"},
)


class PriorPlugin:
    @staticmethod
    @hookimpl
    def automl_register_models(register):
        register(PRIOR)


@pytest.fixture
def plugin():
    def add(obj, name):
        registered.append(register_plugin(obj, name))
        return obj

    registered: list[str] = []
    yield add
    for name in registered:
        unregister_plugin(name)


def test_plugin_model_is_searched_and_on_the_leaderboard(tmp_path, plugin):
    plugin(PriorPlugin, "prior-plugin")
    run = AutoML(time_budget=60, trials=3, models=["prior", "linear"], run_dir=tmp_path / "run").fit(
        churn_frame(300, 0), target="churned"
    )
    board = run.leaderboard()
    assert "prior" in set(board["model"])
    prior_scores = board.loc[board["model"] == "prior", "score"]
    assert (abs(prior_scores - 0.5) < 0.05).all(), "a constant predictor ranks at chance"
    assert board.loc[board["model"] == "linear", "score"].max() > 0.65


def test_duplicate_model_key_names_both_plugins(plugin):
    class Clash:
        @staticmethod
        @hookimpl
        def automl_register_models(register):
            register(PRIOR)

    plugin(PriorPlugin, "first-plugin")
    plugin(Clash, "second-plugin")
    with pytest.raises(UserError, match="first-plugin.*second-plugin"):
        build_catalog()


def test_unknown_model_lists_valid_keys():
    catalog = build_catalog()
    with pytest.raises(UserError, match="unknown model 'nope'.*lightgbm.*linear"):
        catalog.model("tabular", "nope")


def test_misspelled_hook_fails_naming_it(plugin):
    class Typo:
        @staticmethod
        @hookimpl
        def automl_register_model(register):  # missing "s"
            pass

    plugin(Typo, "typo-plugin")
    with pytest.raises(UserError, match="typo-plugin.*automl_register_model'"):
        make_plugin_manager()


def test_disabled_plugins_are_not_loaded(monkeypatch):
    monkeypatch.setenv("AUTOML_DISABLE_PLUGINS", "tabular")
    catalog = build_catalog()
    assert "tabular" not in catalog.tasks
    with pytest.raises(UserError, match="unknown task 'tabular'"):
        catalog.task("tabular")


# -- the built-ins are found through the automl entry points, like any third party ------------------------
def test_the_core_names_no_plugin_module():
    """No hand-kept list: no module of the core (automl/plugins.py first) names a built-in plugin's module."""
    core = Path(automl.plugins.__file__).parent
    named = [f"{path.relative_to(core)}: {match}" for path in sorted(core.rglob("*.py"))
             for match in re.findall(r"automl_plugins\.\w+", path.read_text(encoding="utf-8"))]
    assert named == [], named


def test_every_plugin_comes_from_its_entry_point(monkeypatch):
    monkeypatch.delenv("AUTOML_DISABLE_PLUGINS", raising=False)
    declared = {ep.name: ep.value for ep in entry_points(group="automl")}
    assert {"tabular", "image", "text", "finetune", "recommend", "forecast"} <= set(declared)
    pm = make_plugin_manager()
    assert {name: pm.get_plugin(name) for name in declared} == {name: automl.plugins._load(value)  # noqa: SLF001
                                                               for name, value in declared.items()}
    assert all(v.endswith(":PLUGIN") for k, v in declared.items() if v.startswith("automl_plugins."))
    assert automl.plugins.builtin_plugins() == {k: v for k, v in declared.items() if v.startswith("automl_plugins.")}


def test_a_builtin_without_its_entry_point_is_not_loaded(monkeypatch):
    """Nothing falls back to a list: drop an entry point and its plugin, tasks and presets are gone."""
    monkeypatch.delenv("AUTOML_DISABLE_PLUGINS", raising=False)
    every = entry_points(group="automl")
    monkeypatch.setattr(automl.plugins, "entry_points", lambda group: [ep for ep in every if ep.name != "text"])
    catalog = build_catalog()
    assert "tabular" in catalog.tasks and "text" not in catalog.tasks
    assert catalog.pm.get_plugin("text") is None
    from automl import presets

    assert "churn" in presets.names(catalog.pm) and "ticket_routing" not in presets.names(catalog.pm)
    assert make_plugin_manager(load_entry_points=False).list_name_plugin() == []
