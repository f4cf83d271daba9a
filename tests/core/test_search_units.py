"""Unit tests of the search engine's parts: space, pruning, ensembles, refit parameters."""

from __future__ import annotations

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState
from sklearn.metrics import roc_auc_score

from automl.runs import redact_url
from automl.search.ensemble import blend, select
from automl.search.objective import merge_refit_params
from automl.search.pruning import PerModelPruner
from automl.search.space import enqueue_starting_points, model_params, sample
from automl.specs import MetricSpec, ModelSpec, SearchContext

AUC = MetricSpec("auc", lambda y, p: roc_auc_score(y, p), "maximize")


def _space_a(trial, ctx):
    return {"x": trial.suggest_float("x", 0, 1)}


def _space_b(trial, ctx):
    return {"n": trial.suggest_int("n", 1, 5)}


def _spec(key, space, defaults, cheap=True, portfolio=()):
    return ModelSpec(key=key, task="t", search_space=space, build=lambda p, c: None, save=lambda e, f: None,
                     load=lambda f: None, defaults=defaults, cheap=cheap, portfolio=portfolio)


SPECS = {
    "a": _spec("a", _space_a, {"x": 0.5}, portfolio=({"x": 0.1}, {"x": 0.9})),
    "b": _spec("b", _space_b, {"n": 3}, cheap=False),
}


def test_parameters_are_namespaced_by_model_and_starting_points_run_first():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    assert enqueue_starting_points(study, SPECS) == 4
    ctx = SearchContext(task="t", kind="binary", metric=AUC)
    seen = []
    for _ in range(4):
        trial = study.ask()
        key, params = sample(trial, SPECS, ctx)
        seen.append((key, params))
        assert set(trial.params) == {"model", *(f"{key}.{name}" for name in params)}
        assert model_params(key, trial.params) == params
        study.tell(trial, 0.0)
    # cheap defaults, then the portfolio, then the expensive family's defaults
    assert seen == [("a", {"x": 0.5}), ("a", {"x": 0.1}), ("a", {"x": 0.9}), ("b", {"n": 3})]


def test_pruner_compares_a_trial_only_with_its_own_model_family():
    seen: list[list[str]] = []

    class Recording(optuna.pruners.BasePruner):
        def prune(self, study, trial):
            seen.append([t.params["model"] for t in study.get_trials(states=(TrialState.COMPLETE,))])
            return False

    choice = {"model": optuna.distributions.CategoricalDistribution(["a", "b"])}
    sampler = optuna.samplers.PartialFixedSampler({"model": "a"}, optuna.samplers.RandomSampler(seed=0))
    study = optuna.create_study(pruner=PerModelPruner(Recording()), sampler=sampler)
    for model in ("a", "b", "b", "a"):
        study.add_trial(optuna.trial.create_trial(params={"model": model}, distributions=choice, value=1.0))
    trial = study.ask(choice)
    trial.report(0.5, 1)
    trial.should_prune()
    assert seen == [["a", "a"]]


def test_queued_starting_points_are_never_pruned():
    always = PerModelPruner(optuna.pruners.ThresholdPruner(lower=10.0))
    study = optuna.create_study(pruner=always)
    study.enqueue_trial({"x": 1.0})
    queued = study.ask({"x": optuna.distributions.FloatDistribution(0, 2)})
    queued.report(0.5, 1)
    assert not queued.should_prune()
    sampled = study.ask({"x": optuna.distributions.FloatDistribution(0, 2)})
    sampled.report(0.5, 1)
    assert sampled.should_prune()


def test_ensemble_selection_beats_each_member_when_errors_are_independent():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 2000)
    members = {n: y + rng.normal(0, 1.2, len(y)) for n in range(4)}
    result = select(members, y, AUC)
    single = max(AUC.fn(y, p) for p in members.values())
    assert len(result.weights) > 1
    assert result.score > single + 0.01
    assert abs(sum(result.weights.values()) - 1) < 1e-9
    blended = blend([members[n] for n in result.weights], list(result.weights.values()))
    assert AUC.fn(y, blended) == pytest.approx(result.score)


def test_ensemble_of_one_good_and_useless_models_keeps_the_good_one_alone():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 1000)
    members = {0: y + rng.normal(0, 0.3, len(y)), 1: rng.normal(size=len(y)), 2: rng.normal(size=len(y))}
    assert select(members, y, AUC).weights == {0: 1.0}


def test_refit_parameters_average_the_rounds_found_per_fold():
    merged = merge_refit_params([{"n_estimators": 100, "lr": 0.1, "flag": True}, {"n_estimators": 121, "lr": 0.1,
                                                                                    "flag": True}])
    assert merged == {"n_estimators": 110, "lr": 0.1, "flag": True}


def test_storage_password_never_reaches_the_manifest():
    assert redact_url("postgresql://bob:s3cr3t@db:5432/automl") == "postgresql://bob@db:5432/automl"
    assert redact_url("sqlite:///x.db") == "sqlite:///x.db"


def test_equal_scores_are_ranked_by_the_recorded_tie_breaking_metric():
    from automl.search.artifacts import PREDICTIONS_ATTR
    from automl.search.finalize import ranked_trials
    from automl.trial_attrs import TIE_BREAK_ATTR

    study = optuna.create_study(direction="maximize")
    study.set_user_attr(TIE_BREAK_ATTR, "log_loss")  # what a run records from its metrics' tie_breaker flag
    for number, loss in enumerate((0.30, 0.10, 0.20)):
        study.add_trial(optuna.trial.create_trial(
            value=0.9, user_attrs={"metrics": {"log_loss": loss}, PREDICTIONS_ATTR: {"id": str(number)}}
        ))
    study.add_trial(optuna.trial.create_trial(value=0.8, user_attrs={"metrics": {"log_loss": 0.01},
                                                                      PREDICTIONS_ATTR: {"id": "3"}}))
    assert [t.number for t in ranked_trials(study)] == [1, 2, 0, 3]
    study.set_user_attr(TIE_BREAK_ATTR, None)  # a run whose task marks no tie-breaker: ties keep trial order
    assert [t.number for t in ranked_trials(study)] == [0, 1, 2, 3]


def test_ensemble_candidates_add_the_best_of_every_family_to_the_top_trials():
    from optuna.distributions import CategoricalDistribution
    from optuna.trial import create_trial

    from automl.search.finalize import ENSEMBLE_CANDIDATES, PER_FAMILY_CANDIDATES, ensemble_candidates

    families = ["svm"] * 20 + ["nb"] * 5 + ["net"] * 2
    distribution = {"model": CategoricalDistribution(["svm", "nb", "net"])}
    ranked = [create_trial(value=1.0 - i / 100, params={"model": f}, distributions=distribution)
              for i, f in enumerate(families)]
    for number, trial in enumerate(ranked):
        trial.number = number
    chosen = ensemble_candidates(ranked)
    assert chosen[:ENSEMBLE_CANDIDATES] == ranked[:ENSEMBLE_CANDIDATES]  # the best overall stay first
    picked = [t.params["model"] for t in chosen[ENSEMBLE_CANDIDATES:]]
    assert picked == ["nb"] * PER_FAMILY_CANDIDATES + ["net"] * 2
    assert len({t.number for t in chosen}) == len(chosen)


def test_the_search_process_imports_once_what_each_trial_child_would_import_again() -> None:
    """ModelSpec.preload: imported (or called) in the process that forks the trials, before the first fork."""
    import sys
    from types import SimpleNamespace

    from automl.search.objective import Objective

    called: list[str] = []
    sys.modules.pop("colorsys", None)
    spec = SimpleNamespace(preload=("colorsys", "no_such_module_anywhere", lambda: called.append("skops")))
    Objective(SimpleNamespace(models={"a": spec, "b": spec}), deadline=None)
    assert "colorsys" in sys.modules, "a named module is imported in the search process"
    assert called == ["skops"], "a preload function runs once, however many families name it"
