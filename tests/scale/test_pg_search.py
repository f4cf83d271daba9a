"""A search on PostgreSQL: local workers, a worker joining from another process, and one from the study alone."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from optuna.trial import TrialState
from scale_support import SLEEPY_CLI, check_budget, load, output, start, study, wait_for

pytestmark = pytest.mark.slow
CLI = [sys.executable, "-m", "automl.cli"]


def test_two_local_workers_on_postgres_use_the_exact_budget(tmp_path, churn_csv, postgres_url):
    run_dir = tmp_path / "run"
    done = subprocess.run(
        [*CLI, "fit", str(churn_csv), "--target", "churned", "--trials", "6", "--workers", "2", "--time-budget", "300",
         "--models", "linear,lightgbm", "--storage", postgres_url, "--run-dir", str(run_dir), "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=240,
    )
    assert done.returncode == 0, done.stderr
    found = study(postgres_url)
    counted = check_budget(found, 6)
    assert all(t.state in (TrialState.COMPLETE, TrialState.PRUNED) for t in counted)
    assert len({t.user_attrs["worker"] for t in counted}) == 2, "both processes ran trials"
    assert not (run_dir / "study.journal").exists()
    board = json.loads(subprocess.run([*CLI, "leaderboard", str(run_dir), "--format", "json"], env=_pgpassword(
        postgres_url), capture_output=True, text=True, check=True).stdout)
    trials = {r["trial"]: r for r in board if r["trial"] is not None}
    assert set(trials) == {t.number for t in found.trials}, "the leaderboard shows the study's trials"
    for t in found.get_trials(states=(TrialState.COMPLETE,)):
        assert trials[t.number]["status"] == "COMPLETE"
        assert trials[t.number]["score"] == pytest.approx(t.value)


def _pgpassword(url: str) -> dict[str, str]:
    import os
    from urllib.parse import urlsplit

    return {**os.environ, "PGPASSWORD": urlsplit(url).password or ""}


def test_workers_join_by_folder_and_by_study_name(tmp_path, churn_csv, postgres_url):
    """'automl worker RUN' and 'automl worker --storage URL --study NAME' join a running fit; the budget holds."""
    run_dir = tmp_path / "run"
    env = {"AUTOML_TEST_SLEEP": "0.25"}
    fit = start(["fit", str(churn_csv), "--target", "churned", "--trials", "9", "--time-budget", "300",
                 "--models", "sleepy,linear", "--storage", postgres_url, "--study", "joined",
                 "--run-dir", str(run_dir), "--quiet"], tmp_path, env)
    assert wait_for(lambda: fit.poll() is not None or "automl_run" in getattr(load(postgres_url, "joined"),
                                                                              "user_attrs", {}), 60)
    assert fit.poll() is None, output(fit)
    by_folder = start(["worker", str(run_dir), "--storage", postgres_url], tmp_path, env)
    elsewhere = tmp_path / "elsewhere"  # a machine without the run folder: the study tells it everything
    elsewhere.mkdir()
    by_study = start(["worker", "--storage", postgres_url, "--study", "joined"], elsewhere, env)
    for process in (by_folder, by_study, fit):
        assert process.wait(timeout=180) == 0, output(process)
    counted = check_budget(study(postgres_url, "joined"), 9)
    workers = {t.user_attrs.get("worker") for t in counted}
    assert len(workers) >= 2, f"the joining workers ran trials too: {workers}"
    assert (run_dir / "best" / "model.json").is_file()


def test_a_worker_from_the_study_alone_and_what_it_needs(tmp_path, churn_csv, postgres_url):
    """Without the run folder, the worker rebuilds the run from the study; missing data or artifacts are one line."""
    run_dir, shared = tmp_path / "run", tmp_path / "shared-artifacts"
    done = subprocess.run(
        [*CLI, "fit", str(churn_csv), "--target", "churned", "--trials", "2", "--models", "linear",
         "--storage", postgres_url, "--artifacts", str(shared), "--run-dir", str(run_dir), "--quiet"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads((run_dir / "run.json").read_text())["artifacts"] == str(shared)
    assert any(shared.iterdir()) and not any((run_dir / "artifacts").iterdir()), "the trials' models are shared"
    run_dir.rename(tmp_path / "elsewhere")  # this "machine" has no run folder
    joined = subprocess.run([*SLEEPY_CLI, "worker", "--storage", postgres_url, "--study", "automl"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert joined.returncode == 0, joined.stderr  # the budget is used up: it joins, finds nothing to do, ends
    churn_csv.rename(tmp_path / "moved.csv")
    joined = subprocess.run([*SLEEPY_CLI, "worker", "--storage", postgres_url, "--study", "automl"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert joined.returncode == 2, joined.stderr
    assert "not reachable from this machine" in joined.stderr and str(churn_csv) in joined.stderr
    missing = subprocess.run([*CLI, "worker", "--storage", postgres_url, "--study", "nope"],
                             cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2 and "no study 'nope'" in missing.stderr and "automl" in missing.stderr
