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

import optuna
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


def _trial(model: str, seconds: float, state: TrialState = TrialState.COMPLETE,
           **params: float) -> optuna.trial.FrozenTrial:
    """A finished trial of ``seconds``; a PRUNED one is a skipped trial."""
    start = datetime(2026, 1, 1)
    params = {f"{model}.{name}": value for name, value in params.items()}  # stored as the search stores them
    distributions = {"model": CategoricalDistribution(["forest", "linear"]),
                     **{name: FloatDistribution(1, 1000) for name in params}}
    skipped = {"pruned_reason": "skipped: same parameters as trial 0"} if state == TrialState.PRUNED else {}
    return optuna.trial.FrozenTrial(
        number=0, state=state, value=0.5 if state == TrialState.COMPLETE else None, values=None,
        datetime_start=start, datetime_complete=start + timedelta(seconds=seconds),
        params={"model": model, **params}, distributions=distributions, user_attrs=skipped,
        system_attrs={}, intermediate_values={}, trial_id=0)


def test_the_estimate_scales_by_the_cost_parameters_and_is_conservative() -> None:
    study = _study_with(_trial("forest", 10.0, n_estimators=100), _trial("forest", 30.0, n_estimators=200))
    # the slowest rate seen (0.15 s a tree), times the trees asked for, times the safety factor
    expected = estimate.expected_seconds(study, "forest", {"n_estimators": 400}, ("n_estimators",))
    assert expected == pytest.approx(estimate.SAFETY * 0.15 * 400)
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
