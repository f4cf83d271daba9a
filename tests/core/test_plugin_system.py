"""The plugin manager, the registries and a model added by a plugin defined in a test."""

from __future__ import annotations

import pytest
from sklearn.dummy import DummyClassifier

from automl import AutoML, ModelSpec, UserError, hookimpl
from automl.catalog import build_catalog
from automl.plugins import make_plugin_manager, register_plugin, unregister_plugin
from automl_plugins.tabular.demo import churn_frame
from automl_plugins.tabular.models._common import SklearnModel, load_skops, save_skops


def _prior_space(trial, ctx):
    return {"strategy": trial.suggest_categorical("strategy", ["prior", "most_frequent"])}


def _prior_build(params, ctx):
    return SklearnModel(DummyClassifier(strategy=params["strategy"]), ctx.kind, len(ctx.classes), "tree", params)


PRIOR = ModelSpec(
    key="prior", task="tabular", search_space=_prior_space, build=_prior_build,
    save=save_skops, load=load_skops, defaults={"strategy": "prior"},
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
