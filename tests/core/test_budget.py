"""Budgets are promises: a budgeted ``automl fit`` ends within max(10%, 15 s) of ``--time-budget``, whatever
its models do, and every count it prints or reports counts trials that ran.

Wall times are measured around the whole command (process start to exit), on CI's two cores that other
tests may load: the assertions allow the tolerance, not more.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest
from optuna.distributions import CategoricalDistribution, FloatDistribution
from optuna.trial import TrialState

from automl.api import Run
from automl.search import counts, estimate
from automl.search.clock import RunClock, finish_reserve, process_started
from automl_plugins.tabular.demo import churn_frame

DOZY_CLI = Path(__file__).with_name("dozy_cli.py")
BUDGET = 20.0
TOLERANCE = max(0.1 * BUDGET, 15.0)


def timed_fit(*args: str, cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.time()
    done = subprocess.run([sys.executable, str(DOZY_CLI), "fit", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=BUDGET + 120)
    return done, time.time() - started


@pytest.fixture(scope="module")
def churn(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("budget")
    churn_frame(2000, seed=0).to_csv(folder / "churn.csv", index=False)
    return folder


def test_a_model_that_sleeps_past_the_deadline_is_cut_and_the_budget_holds(churn: Path) -> None:
    done, wall = timed_fit("churn.csv", "--target", "churned", "--models", "linear,dozy", "--time-budget",
                           str(BUDGET), "--run-dir", "dozy", "--quiet", cwd=churn)
    assert done.returncode == 0, done.stderr
    assert wall <= BUDGET + TOLERANCE, f"{wall:.1f}s for a {BUDGET:.0f}s budget\n{done.stderr}"
    trials = Run.load(churn / "dozy").study().get_trials(deepcopy=False)
    dozy = [t for t in trials if t.params.get("model") == "dozy"]
    assert dozy and all(t.state in (TrialState.FAIL, TrialState.PRUNED) for t in dozy), dozy
    killed = [t for t in dozy if t.state == TrialState.FAIL]
    assert all(t.user_attrs["fail_reason"].startswith(estimate.KILLED_PREFIX) for t in killed)
    assert not [t for t in trials if t.state == TrialState.RUNNING]
    assert (churn / "dozy" / "best" / "model.json").is_file() and (churn / "dozy" / "report.html").is_file()


def test_a_normal_tabular_fit_keeps_its_budget(churn: Path) -> None:
    done, wall = timed_fit("churn.csv", "--target", "churned", "--time-budget", str(BUDGET), "--run-dir", "all",
                           "--quiet", cwd=churn)
    assert done.returncode == 0, done.stderr
    assert wall <= BUDGET + TOLERANCE, f"{wall:.1f}s for a {BUDGET:.0f}s budget\n{done.stderr}"


def test_counts_are_trials_that_ran_and_no_report_says_waiting(churn: Path) -> None:
    done, _ = timed_fit("churn.csv", "--target", "churned", "--trials", "2", "--time-budget", "120", "--run-dir",
                        "two", "--quiet", cwd=churn)
    assert done.returncode == 0, done.stderr
    trials = Run.load(churn / "two").study().get_trials(deepcopy=False)
    assert any(t.state == TrialState.WAITING for t in trials)  # every family's defaults were queued; two ran
    ran = [t for t in trials if counts.ran(t)]
    said = re.search(r"search done: (\d+) trials?", done.stderr + done.stdout)
    assert said and int(said.group(1)) == len(ran) == 2, done.stderr
    for report in ("report.md", "report.html"):
        text = (churn / "two" / report).read_text().lower()
        assert "waiting" not in text, report
    assert "trials: 2" in (churn / "two" / "report.md").read_text()


def _study_with(*trials: optuna.trial.FrozenTrial) -> optuna.Study:
    study = optuna.create_study()
    for trial in trials:
        study.add_trial(trial)
    return study


def _trial(model: str, seconds: float, state: TrialState = TrialState.COMPLETE, attrs: dict | None = None,
           **params: float) -> optuna.trial.FrozenTrial:
    """A finished trial of ``seconds`` (with user ``attrs``); a PRUNED one is a skipped trial."""
    start = datetime(2026, 1, 1)
    params = {f"{model}.{name}": value for name, value in params.items()}  # stored as the search stores them
    distributions = {"model": CategoricalDistribution(["forest", "linear"]),
                     **{name: FloatDistribution(1e-6, 1e6) for name in params}}
    skipped = {"pruned_reason": "skipped: same parameters as trial 0"} if state == TrialState.PRUNED else {}
    return optuna.trial.FrozenTrial(
        number=0, state=state, value=0.5 if state == TrialState.COMPLETE else None, values=None,
        datetime_start=start, datetime_complete=start + timedelta(seconds=seconds),
        params={"model": model, **params}, distributions=distributions, user_attrs={**skipped, **(attrs or {})},
        system_attrs={}, intermediate_values={}, trial_id=0)


def test_the_estimate_scales_by_the_cost_parameters_with_a_margin() -> None:
    study = _study_with(_trial("forest", 10.0, n_estimators=100), _trial("forest", 30.0, n_estimators=200))
    # rates 0.1 and 0.15 s a tree: their upper quartile (0.1375), times the trees asked for, times the margin
    expected = estimate.expected_seconds(study, "forest", {"n_estimators": 400}, ("n_estimators",))
    assert expected == pytest.approx(estimate.SAFETY * 0.1375 * 400)
    assert 0.1 * 400 < expected / estimate.SAFETY < 0.15 * 400
    assert estimate.expected_seconds(study, "linear", {}, ()) is None  # an untried family
    assert estimate.fastest_seconds(study, "forest") == pytest.approx(10.0)
    assert estimate.first_trial_fits(True, 30.0, 100.0) and not estimate.first_trial_fits(False, 20.0, 100.0)


def test_skipped_and_queued_trials_are_not_counted_as_run() -> None:
    study = _study_with(_trial("linear", 1.0), _trial("linear", 0.0, TrialState.PRUNED))
    study.enqueue_trial({"model": "forest"})
    assert counts.trials_run(study) == 1
    assert counts.state_counts(study.get_trials()) == {"complete": 1}
    assert counts.plural(1, "trial") == "1 trial" and counts.plural(3, "trial") == "3 trials"


def test_the_clock_keeps_the_finish_reserve_and_starts_with_the_process() -> None:
    clock = RunClock.start(60.0, spent=10.0, started=1000.0)
    assert clock.end == 1050.0
    assert clock.search_deadline() == pytest.approx(1050.0 - finish_reserve(60.0))
    assert clock.search_deadline() < clock.refit_deadline() < clock.end
    assert RunClock.start(None).search_deadline() is None
    assert process_started() <= time.time()


def test_a_family_with_fast_and_slow_trials_is_not_judged_by_its_slowest_alone() -> None:
    """Five trials of about 10 s and one of 60 s: the next is expected near the typical one, not at 90 s."""
    study = _study_with(*(_trial("linear", s) for s in (9.0, 10.0, 60.0, 11.0, 10.0, 12.0)))
    expected = estimate.expected_seconds(study, "linear", {}, ())
    assert expected is not None and estimate.SAFETY * 10.0 < expected < estimate.SAFETY * 60.0 / 2
    # only the recent trials judge: a slow start (the machine was busy) is forgotten
    later = _study_with(*(_trial("linear", 60.0) for _ in range(3)), *(_trial("linear", 5.0) for _ in range(6)))
    assert estimate.expected_seconds(later, "linear", {}, ()) == pytest.approx(estimate.SAFETY * 5.0)


def test_an_inverse_cost_parameter_makes_a_slower_learning_rate_cost_more() -> None:
    """Early-stopped boosting: its rounds grow as the learning rate falls (``1/learning_rate``)."""
    study = _study_with(_trial("forest", 9.0, learning_rate=0.1), _trial("forest", 30.0, learning_rate=0.03))
    drivers = ("1/learning_rate",)
    fast = estimate.expected_seconds(study, "forest", {"learning_rate": 0.3}, drivers)
    slow = estimate.expected_seconds(study, "forest", {"learning_rate": 0.01}, drivers)
    assert fast is not None and slow is not None and slow == pytest.approx(30 * fast)
    assert fast < 9.0 < 30.0 < slow
    assert estimate.units({"learning_rate": 0.5, "trees": 10}, ("1/learning_rate", "trees")) == pytest.approx(20.0)


def test_the_search_keeps_time_for_the_refit_its_best_trial_needs_and_no_more() -> None:
    from types import SimpleNamespace

    from automl.search.clock import refit_bounds
    from automl.search.objective import Objective

    folds = [(np.arange(80), np.arange(80, 100))] * 5  # 400 training rows over the folds, 100 rows in all
    setup = SimpleNamespace(dataset=SimpleNamespace(n_rows=100), folds=folds,
                            task=SimpleNamespace(fold_models_serve=False), models={})
    kept, most = refit_bounds(300.0)
    assert kept < most <= 0.1 * 300
    objective = Objective(setup, deadline=time.time() + 100, search_seconds=250.0, refit_bounds=(kept, most))
    assert objective.refit_extra(_study_with()) == 0.0  # nothing to refit yet
    cheap = _study_with(_trial("linear", 2.0, attrs={"fit_seconds": 8.0}))  # refit: 8 s x 100/400 rows = 2 s
    assert objective.refit_extra(cheap) == 0.0
    dear = _study_with(_trial("linear", 60.0, attrs={"fit_seconds": 80.0}))  # 20 s, with the margin 30 s
    assert objective.refit_extra(dear) == pytest.approx(min(estimate.SAFETY * 20.0, most) - kept)
    huge = _study_with(_trial("linear", 600.0, attrs={"fit_seconds": 4000.0}))
    assert objective.refit_extra(huge) == pytest.approx(most - kept)  # a refit it must do (a forecast)
    assert objective.search_end(huge) == pytest.approx(objective.deadline - (most - kept))
    setup.task.fold_models_serve = True  # a refit that cannot fit is skipped for the fold models: nothing kept
    assert objective.refit_extra(huge) == 0.0 and objective.refit_extra(dear) > 0.0


def test_a_finetune_model_told_a_deadline_stops_in_time_and_predicts(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Planned for far more epochs than the time allows, it cuts its plan, keeps time to predict and save,
    and returns a model that predicts probabilities."""
    pytest.importorskip("transformers", reason="the finetune extra is not installed")
    from automl.specs import SearchContext
    from automl_plugins.text.finetune.metrics import METRICS
    from automl_plugins.text.finetune.models import training
    from automl_plugins.text.finetune.models.estimator import FineTunedClassifier
    from automl_plugins.text.finetune.task import sample_data

    monkeypatch.setattr(training, "PATIENCE", 10**9)  # only the clock may stop it
    source, options = sample_data(tmp_path)
    frame = pd.read_csv(source)
    texts, labels = frame["review"].astype(str), frame["sentiment"].astype(str)
    classes = sorted(labels.unique())
    y = labels.map({c: i for i, c in enumerate(classes)}).to_numpy()
    f1 = next(m for m in METRICS if m.name == "f1")
    allowed = 6.0
    ctx = SearchContext(task="finetune", kind="binary", metric=f1, classes=classes,
                        info={"backbones": [str(options["backbone"][0])]}, deadline=time.time() + allowed)
    params = {"learning_rate": 1e-3, "epochs": 10_000, "batch_size": 8, "max_length": 64, "warmup_ratio": 0.0,
              "weight_decay": 0.0, "train_layers": "all", "head_lr_scale": 1}
    deadline = ctx.deadline
    model = FineTunedClassifier(params, ctx).fit(texts[:300], y[:300], texts[300:], y[300:])
    fitted = time.time()
    proba = model.predict(texts[300:])
    # it stopped itself before the deadline, keeping the time to predict and save (the old loop ran to it)
    assert fitted < deadline, fitted - deadline
    assert model.history["stop_reason"] == "the steps that fit before the deadline", model.history
    assert 0 < model.history["epochs_run"] < 10_000 and model.history["steps"] >= 1
    assert proba.shape == (len(texts) - 300, 2) and np.allclose(proba.sum(axis=1), 1.0)
    assert model.refit_params()["epochs"] <= max(1, int(np.ceil(model.history["epochs_run"])))


def test_the_timed_deployment_batch_shrinks_to_the_time_left() -> None:
    """A model predicting 30 rows a second is not timed on 1,000 rows with 2 s left; its batch size is recorded."""
    from automl.report.deployment import BATCH_ROWS, MIN_BATCH_ROWS, batch_rows

    assert batch_rows(5000, ms_per_row=33.0, seconds=2.0) == 60
    assert batch_rows(5000, ms_per_row=0.05, seconds=2.0) == BATCH_ROWS
    assert batch_rows(5000, ms_per_row=33.0, seconds=None) == BATCH_ROWS
    assert batch_rows(5000, ms_per_row=33.0, seconds=0.0) == MIN_BATCH_ROWS
    assert batch_rows(7, ms_per_row=33.0, seconds=60.0) == 7


def test_a_lightgbm_refit_stops_at_its_deadline(tmp_path: Path) -> None:
    """A refit has no validation rows, so early stopping never runs: the deadline alone must stop it."""
    from automl.catalog import build_catalog
    from automl.testing.checks import sample_setup

    catalog = build_catalog()
    sample = sample_setup(catalog, "tabular", tmp_path)
    spec = catalog.model("tabular", "lightgbm")
    X, y = sample.dataset.X, np.asarray(sample.dataset.y)
    params = {**spec.defaults, "n_estimators": 100_000, "learning_rate": 0.001}
    started = time.time()
    model = spec.build(params, sample.context(deadline=started + 1.0)).fit(X, y)
    assert time.time() - started < 10.0
    assert 1 <= model.best_iteration < 100_000
    assert np.asarray(model.predict(X)).shape[0] == len(X)


def test_column_importance_skips_a_round_that_cannot_fit_the_time_left() -> None:
    """The shuffle loop stops only between rounds: a round that cannot end before the fit's budget is not started
    (a slow ensemble once ran its first round 15 s past a 20 s budget)."""
    from automl.report import budget
    from automl_plugins.tabular import explain

    X = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 3})
    y = (X["a"] > 20).to_numpy().astype(int)
    metric = type("Metric", (), {"direction": "maximize", "fn": staticmethod(lambda t, p: float(np.mean(t == p)))})

    def slow(frame: pd.DataFrame, copies: int) -> np.ndarray:
        time.sleep(0.3 * copies)
        return (frame["a"] > 20).to_numpy().astype(int)

    groups = {"a": ["a"], "b": ["b"]}
    assert explain.round_fits(30.0, 7)  # no budget: the loop keeps its own cap
    with budget.ending_by(time.time() + 0.5):
        assert explain.permutation_importance(slow, X, y, metric, groups) == ([], 0)
    with budget.ending_by(time.time() + 60.0):
        found, rounds = explain.permutation_importance(slow, X, y, metric, groups)
    assert rounds >= 1 and [i.column for i in found][0] == "a"
