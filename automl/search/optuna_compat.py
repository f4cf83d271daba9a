"""Every use of Optuna's private API, in one place.

automl needs a few things Optuna keeps private: the storage behind a study (to
set a trial's state and attributes, which the public Study cannot), a trial's
storage id, the heartbeat check, the stale-trial query and the RDB models (no
public API tells whether a trial has a heartbeat). They may change in any
release, so pyproject.toml pins optuna below its next major version and the
rest of automl calls only these functions: an Optuna upgrade is checked here.
``tests/core/test_layers.py`` fails when a private name is used anywhere else.
"""

from __future__ import annotations

from typing import Any

import optuna
from optuna.storages._heartbeat import is_heartbeat_enabled as _is_heartbeat_enabled


def study_storage(study: optuna.Study) -> Any:
    """The storage a study reads and writes (``Study._storage``)."""
    return study._storage  # noqa: SLF001


def study_id(study: optuna.Study) -> int:
    """The study's id in its storage (``Study._study_id``)."""
    return study._study_id  # noqa: SLF001


def trial_id(trial: Any) -> int:
    """A live or frozen trial's id in its storage (``Trial._trial_id``)."""
    return trial._trial_id  # noqa: SLF001


def heartbeats_enabled(storage: Any) -> bool:
    """Whether the storage records trial heartbeats (``optuna.storages._heartbeat``)."""
    return _is_heartbeat_enabled(storage)


def stale_trial_ids(storage: Any, study_id: int) -> list[int]:
    """Trials whose heartbeats stopped, by Optuna's own rule (``_get_stale_trial_ids``)."""
    return list(storage._get_stale_trial_ids(study_id))  # noqa: SLF001


def storage_backend(storage: Any) -> Any:
    """The RDB storage behind a cached storage wrapper (``_backend``), or the storage itself."""
    return getattr(storage, "_backend", storage)


def rdb_trial_model() -> Any:
    """Optuna's SQLAlchemy model of a trial row (``optuna.storages._rdb.models.TrialModel``)."""
    from optuna.storages._rdb import models

    return models.TrialModel
