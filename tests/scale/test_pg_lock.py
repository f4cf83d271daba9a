"""The pieces behind an exact budget across machines: the advisory ask lock and what counts toward --trials."""

from __future__ import annotations

import time

import optuna
import pytest
from optuna.trial import TrialState

from automl.search.liveness import INTERRUPTED_ATTR, RetryStaleTrial, fail_stale_trials
from automl.search.loop import counted
from automl.storage import AdvisoryLock, full_url, open_rdb_storage

pytestmark = pytest.mark.filterwarnings("ignore:Heartbeat of storage:UserWarning")


def _try_lock(url: str, key: int) -> bool:
    import sqlalchemy

    engine = sqlalchemy.create_engine(full_url(url), poolclass=sqlalchemy.pool.NullPool)
    with engine.connect() as connection:
        got = connection.execute(sqlalchemy.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar()
        if got:
            connection.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
    engine.dispose()
    return bool(got)


def test_the_advisory_lock_excludes_other_connections(postgres_url):
    lock = AdvisoryLock(full_url(postgres_url), "automl:a-study")
    assert AdvisoryLock(full_url(postgres_url), "automl:a-study").key == lock.key
    assert AdvisoryLock(full_url(postgres_url), "automl:another").key != lock.key
    with lock:
        assert not _try_lock(postgres_url, lock.key), "another machine must wait while a worker asks"
        assert _try_lock(postgres_url, lock.key + 1), "another study is not blocked"
    assert _try_lock(postgres_url, lock.key), "released after the ask"


def test_a_stale_trial_is_failed_once_requeued_and_not_counted(postgres_url, monkeypatch):
    monkeypatch.setenv("AUTOML_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("AUTOML_HEARTBEAT_GRACE_SECONDS", "2")
    storage = open_rdb_storage(postgres_url)
    assert isinstance(storage.heartbeat_stale_trial_callback, RetryStaleTrial)
    study = optuna.create_study(storage=storage, study_name="stale")
    done = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    study.tell(done, 0.5)
    dead = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    dead.set_user_attr("worker", "gone:1")
    storage.record_heartbeat(dead._trial_id)
    assert counted(study) == 2
    time.sleep(3.5)
    assert fail_stale_trials(study) == [dead.number]
    assert fail_stale_trials(study) == [], "failed and queued once"
    trials = study.get_trials()
    failed = trials[dead.number]
    assert failed.state == TrialState.FAIL and failed.user_attrs[INTERRUPTED_ATTR]
    queued = [t for t in trials if t.state == TrialState.WAITING]
    assert len(queued) == 1 and queued[0].params == failed.params
    assert INTERRUPTED_ATTR not in queued[0].user_attrs and "fail_reason" not in queued[0].user_attrs
    assert counted(study) == 1, "neither the dead attempt nor its queued retry counts yet"



def test_a_trial_that_never_sent_a_heartbeat_is_failed_and_requeued_after_the_grace(postgres_url, monkeypatch):
    """A connection dropping inside ``ask`` leaves a trial with no heartbeat row; Optuna alone never fails it."""
    monkeypatch.setenv("AUTOML_HEARTBEAT_SECONDS", "1")
    monkeypatch.setenv("AUTOML_HEARTBEAT_GRACE_SECONDS", "2")
    study = optuna.create_study(storage=open_rdb_storage(postgres_url), study_name="orphan")
    orphan = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    live = study.ask({"x": optuna.distributions.FloatDistribution(0, 1)})
    assert fail_stale_trials(study) == [], "younger than the grace period: maybe still starting"
    time.sleep(2.5)
    study._storage.record_heartbeat(live._trial_id)  # noqa: SLF001 - a live worker beats
    assert fail_stale_trials(study) == [orphan.number]
    trials = study.get_trials()
    assert trials[orphan.number].state == TrialState.FAIL and trials[live.number].state == TrialState.RUNNING
    assert [t.params for t in trials if t.state == TrialState.WAITING] == [trials[orphan.number].params]
