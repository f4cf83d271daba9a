"""Faults inside trials: a model that raises, hangs or runs out of memory, and an artifact write that fails.

In every case the run ends with a model, every trial is told its end state
once (no duplicate numbers, none left running), and the failed ones say why.
"""

from __future__ import annotations

import errno
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import optuna
import pytest
from optuna.trial import TrialState

from automl import AutoML
from automl.api import Run
from automl.search import artifacts
from automl_plugins.tabular.demo import churn_frame

FAULTY_CLI = Path(__file__).with_name("faulty_cli.py")
MEMORY_LIMIT = 3 * 2**30  # bytes of address space: the search fits in it, an 8 GB array does not


def faulty(*args: str | Path, cwd: Path, limit_memory: bool = False) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))

    return subprocess.run([sys.executable, str(FAULTY_CLI), *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=180, preexec_fn=limit if limit_memory else None)


def trials_of(run_dir: Path) -> list[optuna.trial.FrozenTrial]:
    return Run.load(run_dir).study().get_trials(deepcopy=False)


def assert_told_once(trials: list[optuna.trial.FrozenTrial], expected: int) -> None:
    ran = [t for t in trials if t.state != TrialState.WAITING]
    assert len(ran) == expected, [(t.number, t.state) for t in trials]
    assert len({t.number for t in ran}) == expected
    assert not [t for t in ran if t.state == TrialState.RUNNING]


@pytest.fixture(scope="module")
def churn(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("faults")
    churn_frame(300, seed=0).to_csv(folder / "churn.csv", index=False)
    return folder


def test_raising_and_hanging_models_fail_their_trials_and_the_run_goes_on(churn: Path) -> None:
    started = time.time()
    done = faulty("fit", "churn.csv", "--target", "churned", "--models", "linear,raiser,hanger", "--trials", "3",
                  "--trial-timeout", "2", "--time-budget", "120", "--run-dir", "mixed", "--quiet", cwd=churn)
    assert done.returncode == 0, done.stderr
    assert time.time() - started < 90  # the hanging trials were killed, not waited for
    trials = trials_of(churn / "mixed")
    assert_told_once(trials, 3)  # each family's default first: linear, raiser, hanger
    reasons = {t.params["model"]: t.user_attrs.get("fail_reason", "") for t in trials if t.state == TrialState.FAIL}
    assert reasons.get("raiser") == "RuntimeError: broken on purpose", reasons
    assert reasons.get("hanger", "").startswith("TrialTimeout: killed after"), reasons
    assert any(t.state == TrialState.COMPLETE and t.params["model"] == "linear" for t in trials)
    assert json.loads((churn / "mixed" / "best" / "model.json").read_text())["members"][0]["model"] == "linear"
    board = (churn / "mixed" / "leaderboard.csv").read_text()
    assert "broken on purpose" in board and "killed after" in board


def test_a_killed_trial_leaves_no_process_behind(churn: Path) -> None:
    done = subprocess.run(["pgrep", "-f", f"{FAULTY_CLI.name} fit"], capture_output=True, text=True)
    assert done.stdout.strip() == "", f"left running: {done.stdout}"


def test_out_of_memory_fails_the_trial_not_the_search(churn: Path) -> None:
    done = faulty("fit", "churn.csv", "--target", "churned", "--models", "linear,hog", "--trials", "3",
                  "--time-budget", "120", "--run-dir", "hog", "--quiet", cwd=churn, limit_memory=True)
    assert done.returncode == 0, done.stderr
    trials = trials_of(churn / "hog")
    assert_told_once(trials, 3)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert failed and all(t.user_attrs["fail_reason"].startswith("MemoryError") for t in failed)
    assert (churn / "hog" / "best" / "model.json").is_file()


def test_out_of_memory_in_an_isolated_trial_is_reported_too(churn: Path) -> None:
    done = faulty("fit", "churn.csv", "--target", "churned", "--models", "linear,hog", "--trials", "2",
                  "--trial-timeout", "60", "--time-budget", "120", "--run-dir", "hog_isolated", "--quiet",
                  cwd=churn, limit_memory=True)
    assert done.returncode == 0, done.stderr
    failed = [t for t in trials_of(churn / "hog_isolated") if t.state == TrialState.FAIL]
    assert len(failed) == 1 and failed[0].user_attrs["fail_reason"].startswith("MemoryError"), failed


def test_a_failed_artifact_write_fails_that_trial_only(churn: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a full disk: the second trial cannot save its models; the others complete and the run ends."""
    real_upload, calls = artifacts._upload, []

    def upload(store, trial, file):  # noqa: ANN001, ANN202
        calls.append(file.name)
        if len(calls) == 3:  # the models of the second trial
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_upload(store, trial, file)

    monkeypatch.setattr(artifacts, "_upload", upload)
    run = AutoML(time_budget=60, trials=4, run_dir=churn / "disk", models=["linear"], quiet=True).fit(
        churn / "churn.csv", target="churned")
    trials = run.study().get_trials(deepcopy=False)
    assert_told_once(trials, 4)
    failed = [t for t in trials if t.state == TrialState.FAIL]
    assert [t.number for t in failed] == [1]
    assert "No space left on device" in failed[0].user_attrs["fail_reason"]
    assert all(artifacts.PREDICTIONS_ATTR in t.user_attrs for t in trials if t.state == TrialState.COMPLETE)
    assert run.predict(churn / "churn.csv").shape[0] == 300
