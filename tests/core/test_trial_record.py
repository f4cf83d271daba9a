"""What a trial stores is read back through one typed record: a value of another type (an edited journal) reads as
missing instead of breaking the leaderboard, the ensemble choice or the time estimates."""

from __future__ import annotations

import math

from automl import trial_attrs
from automl.trial_attrs import TrialRecord


def test_a_record_reads_the_types_automl_writes() -> None:
    record = TrialRecord.of({
        trial_attrs.METRICS: {"roc_auc": 0.9, "log_loss": 0.3}, trial_attrs.FIT_SECONDS: 1.5,
        trial_attrs.PREDICT_MS_PER_1K: 2.0, trial_attrs.SIZE_BYTES: 1024, trial_attrs.TRAIN_ROWS_PER_SECOND: 5e4,
        trial_attrs.REFIT_PARAMS: {"n_estimators": 40}, trial_attrs.WORKER: "host:1",
        trial_attrs.PRUNED_REASON: "skipped: same parameters as trial 3", trial_attrs.INTERRUPTED_ATTR: True,
    })
    assert record.metrics == {"roc_auc": 0.9, "log_loss": 0.3} and record.fit_seconds == 1.5
    assert record.size_bytes == 1024 and record.refit_params == {"n_estimators": 40}
    assert record.skipped and record.interrupted and record.worker == "host:1" and record.fail_reason == ""


def test_values_of_another_type_read_as_missing() -> None:
    record = TrialRecord.of({
        trial_attrs.METRICS: {"roc_auc": "high", "f1": math.nan, "log_loss": 0.2}, trial_attrs.FIT_SECONDS: "1.5",
        trial_attrs.SIZE_BYTES: -3, trial_attrs.TRAIN_ROWS_PER_SECOND: 10**400, trial_attrs.REFIT_PARAMS: [1, 2],
        trial_attrs.FAIL_REASON: ["not", "text"], trial_attrs.INTERRUPTED_ATTR: "yes",
    })
    assert record.metrics == {"log_loss": 0.2}
    assert record.fit_seconds is None and record.size_bytes is None and record.train_rows_per_second is None
    assert record.refit_params is None and record.fail_reason == "" and not record.interrupted
    assert TrialRecord.of({}) == TrialRecord()
