"""Fault tolerance on PostgreSQL: a worker killed mid-trial, and the database restarted mid-search.

In both the run goes on and ends with exactly its ``--trials`` budget: no
completed trial is lost, none is counted twice, no number appears twice.
"""

from __future__ import annotations

import os
import signal
import socket

import pytest
from optuna.trial import TrialState
from scale_support import check_budget, load, output, start, study, wait_for

pytestmark = pytest.mark.slow
SLEEP = {"AUTOML_TEST_SLEEP": "0.4"}  # per fold: a sleepy trial lasts about 2 s


def _fit(churn_csv, run_dir, url, trials, study_name="automl"):  # noqa: ANN001, ANN202
    return start(["fit", str(churn_csv), "--target", "churned", "--trials", str(trials), "--time-budget", "400",
                  "--models", "sleepy", "--storage", url, "--study", study_name, "--run-dir", str(run_dir),
                  "--quiet"], run_dir.parent, SLEEP)


def _completed(url: str, name: str = "automl") -> dict[int, float]:
    found = load(url, name)
    return {} if found is None else {t.number: t.value for t in found.get_trials(states=(TrialState.COMPLETE,))}


def test_a_worker_killed_mid_trial_is_failed_by_its_heartbeat_and_retried(tmp_path, churn_csv, postgres_url):
    run_dir = tmp_path / "run"
    fit = _fit(churn_csv, run_dir, postgres_url, trials=6)
    assert wait_for(lambda: fit.poll() is not None or len(_completed(postgres_url)) >= 1, 90), output(fit)
    worker = start(["worker", str(run_dir), "--storage", postgres_url], tmp_path, SLEEP)
    mine = f"{socket.gethostname()}:{worker.pid}"

    def running_in_worker() -> list[int]:
        found = load(postgres_url)
        return [t.number for t in found.get_trials(states=(TrialState.RUNNING,)) if t.user_attrs.get("worker") == mine]

    assert wait_for(lambda: worker.poll() is not None or running_in_worker(), 60), output(worker)
    killed = running_in_worker()
    assert killed, f"the worker ran no trial: {output(worker)}"
    before = _completed(postgres_url)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()

    assert fit.wait(timeout=180) == 0, output(fit)
    found = study(postgres_url)
    check_budget(found, 6)
    dead = found.trials[killed[0]]
    assert dead.state == TrialState.FAIL and dead.user_attrs.get("interrupted"), dead
    assert "heartbeats" in dead.user_attrs["fail_reason"]
    retries = [t for t in found.trials if t.system_attrs.get("failed_trial") == dead.number]
    assert len(retries) == 1 and retries[0].state in (TrialState.COMPLETE, TrialState.PRUNED), retries
    assert retries[0].params == dead.params, "the retry runs the same configuration"
    after = _completed(postgres_url)
    assert all(after.get(n) == v for n, v in before.items()), "a completed trial was lost or changed"
    assert (run_dir / "best" / "model.json").is_file()


def test_the_search_survives_a_database_restart(tmp_path, churn_csv, postgres, postgres_url):
    if not postgres.managed:
        pytest.skip("restarting needs the test's own PostgreSQL server, not AUTOML_TEST_POSTGRES_URL")
    run_dir = tmp_path / "run"
    fit = _fit(churn_csv, run_dir, postgres_url, trials=6, study_name="restarted")
    assert wait_for(lambda: fit.poll() is not None or len(_completed(postgres_url, "restarted")) >= 2, 90), output(fit)
    assert fit.poll() is None, output(fit)
    before = _completed(postgres_url, "restarted")
    postgres.stop()  # every connection drops; the search retries for up to 60 s
    wait_for(lambda: fit.poll() is not None, 3)
    postgres.start()

    assert fit.wait(timeout=180) == 0, output(fit)
    found = study(postgres_url, "restarted")
    check_budget(found, 6)
    after = _completed(postgres_url, "restarted")
    assert all(after.get(n) == v for n, v in before.items()), "a completed trial was lost or changed"
    assert len(after) >= 4, [(t.number, t.state, t.user_attrs.get("fail_reason")) for t in found.trials]
    assert (run_dir / "best" / "model.json").is_file()
