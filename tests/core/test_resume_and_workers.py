"""Crash safety and parallel search: kill -9 then resume, and two local workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from automl.runs import RunDir
from automl_plugins.tabular.demo import churn_frame

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "automl.cli"]
DOZY_CLI = Path(__file__).with_name("dozy_cli.py")  # automl with a model that sleeps first (AUTOML_TEST_DOZE)


def _study(run_dir: Path) -> optuna.Study:
    return optuna.load_study(study_name="automl", storage=RunDir(run_dir).storage())


def _completed(run_dir: Path) -> dict[int, float]:
    if not (run_dir / "study.journal").exists():
        return {}
    try:
        trials = _study(run_dir).get_trials(states=(TrialState.COMPLETE,))
    except KeyError:  # the study is not created yet
        return {}
    return {t.number: t.value for t in trials}


@pytest.fixture
def churn_csv(tmp_path: Path) -> Path:
    path = tmp_path / "customers.csv"
    churn_frame(800, seed=0).to_csv(path, index=False)
    return path


def _start_fit(data: Path, run_dir: Path, trials: int) -> subprocess.Popen:
    """A fit of linear and LightGBM models in the background, for tests that interfere with it."""
    return subprocess.Popen(
        [*CLI, "fit", str(data), "--target", "churned", "--trials", str(trials), "--time-budget", "600",
         "--models", "linear,lightgbm", "--run-dir", str(run_dir), "--quiet"],
        cwd=data.parent, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def test_kill_9_then_resume_keeps_every_completed_trial(tmp_path, churn_csv):
    run_dir = tmp_path / "run"
    fit = _start_fit(churn_csv, run_dir, trials=12)
    deadline = time.time() + 120
    while len(_completed(run_dir)) < 4 and time.time() < deadline and fit.poll() is None:
        time.sleep(0.2)
    assert fit.poll() is None, f"the fit ended before it could be killed: {fit.stderr.read().decode()}"
    os.kill(fit.pid, signal.SIGKILL)
    fit.wait()
    before = _completed(run_dir)
    assert len(before) >= 4
    assert not (run_dir / "best").exists(), "killed before the end, so no final model yet"

    resumed = subprocess.run([*CLI, "resume", str(run_dir), "--quiet"], cwd=tmp_path, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr

    after = _completed(run_dir)
    for number, value in before.items():
        assert after[number] == value, f"trial {number} was lost or changed by the resume"
    finished = [t for t in _study(run_dir).trials if t.state.is_finished() and not t.user_attrs.get("interrupted")]
    assert len(finished) == 12, "the run goes on until its 12-trial budget is used"
    numbers = [t.number for t in _study(run_dir).trials]
    assert len(numbers) == len(set(numbers))
    assert (run_dir / "best" / "model.json").is_file()
    board = json.loads(
        subprocess.run([*CLI, "leaderboard", str(run_dir), "--format", "json"], capture_output=True, text=True).stdout
    )
    assert {r["trial"] for r in board if r["status"] == "COMPLETE" and r["trial"] is not None} == set(after)


def test_two_workers_lose_and_duplicate_no_trial(tmp_path, churn_csv):
    run_dir = tmp_path / "run"
    result = subprocess.run(
        [*CLI, "fit", str(churn_csv), "--target", "churned", "--trials", "10", "--workers", "2",
         "--time-budget", "600", "--models", "linear,lightgbm", "--run-dir", str(run_dir), "--quiet"],
        cwd=tmp_path, capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr
    trials = [t for t in _study(run_dir).trials if t.state != TrialState.WAITING]
    assert sorted(t.number for t in trials) == list(range(10)), "exactly the budgeted trials, numbered once each"
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in trials), [t.state for t in trials]
    workers = {t.user_attrs["worker"] for t in trials}
    assert len(workers) == 2, f"both processes ran trials: {workers}"
    params = [tuple(sorted(t.params.items())) for t in trials]
    enqueued_defaults = [p for p in params if ("model", "linear") in p]
    assert len(enqueued_defaults) >= 1


def test_help_imports_no_heavy_library():
    code = (
        "import runpy, sys\n"
        "sys.argv = ['automl', '--help']\n"
        "try:\n    runpy.run_module('automl.cli', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "heavy = ('torch', 'transformers', 'lightgbm', 'sklearn', 'optuna')\n"
        "print('HEAVY:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "Usage: automl" in result.stdout
    assert result.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_a_joining_worker_respects_the_trial_budget_and_runs_some_of_it(tmp_path, churn_csv):
    """A worker that joins a running fit shares its 14 trials: none more, none lost, and it runs some itself.

    The model sleeps 0.1 s a fold (0.5 s a trial), so the fit cannot end before the worker has started; without
    the sleep a fast machine finished all 14 trials first and the test passed with an idle worker."""
    run_dir = tmp_path / "run"
    env = {**os.environ, "AUTOML_TEST_DOZE": "0.1"}
    fit = subprocess.Popen([sys.executable, str(DOZY_CLI), "fit", str(churn_csv), "--target", "churned", "--trials",
                            "14", "--time-budget", "600", "--models", "dozy", "--run-dir", str(run_dir), "--quiet"],
                           cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 60
    while not _completed(run_dir) and time.time() < deadline:
        time.sleep(0.1)
    worker = subprocess.Popen([sys.executable, str(DOZY_CLI), "worker", str(run_dir)], cwd=tmp_path, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _, worker_err = worker.communicate(timeout=300)
    assert worker.returncode == 0, worker_err
    assert fit.wait(timeout=300) == 0, fit.stderr.read().decode()
    trials = [t for t in _study(run_dir).trials if t.state != TrialState.WAITING]
    assert sorted(t.number for t in trials) == list(range(14))
    ran_by = {t.number: str(t.user_attrs.get("worker", "")).rsplit(":", 1)[-1] for t in trials}
    assert str(worker.pid) in ran_by.values(), f"the joining worker (pid {worker.pid}) ran no trial: {ran_by}"
    assert str(fit.pid) in ran_by.values(), f"the fit (pid {fit.pid}) ran no trial: {ran_by}"


