"""The typed run.json and model.json (automl/records.py): what automl writes reads back and writes back unchanged,
a key the record does not know survives, a missing optional key reads as its default."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from automl.errors import UserError
from automl.records import FORMAT_VERSION, DataRecord, MemberRecord, ModelRecord, RunRecord
from automl.runs import RunDir
from automl.specs import Estimator, refit_params_of

RUN_JSON: dict[str, Any] = {
    "format_version": FORMAT_VERSION, "name": "churn", "created": "2024-05-01T10:00:00+0000",
    "command": "automl fit churn.csv --target churned", "task": "tabular", "kind": "binary", "target": "churned",
    "task_options": {"problem_type": "binary"}, "metric": "roc_auc", "direction": "maximize", "time_budget": 60.0,
    "trials": 20, "trial_timeout": 30.0, "workers": 2, "seed": 7, "models": ["lightgbm", "linear"],
    "storage": "postgresql://db/automl", "study": "churn", "artifacts": "/shared/artifacts",
    "data": {"path": "/data/churn.csv", "fingerprint": "abc123", "rows": 600, "summary": {"rows": 600}},
    "versions": {"python": "3.12.1", "automl": "0.1"}, "preset": {"name": "churn", "metric": "roc_auc"},
    "status": "finished", "finished": "2024-05-01T10:01:00+0000",
}
MODEL_JSON: dict[str, Any] = {
    "task": "tabular", "kind": "binary", "metric": "roc_auc", "validation_score": 0.91, "ensemble": True,
    "why": "the greedy blend scored best", "classes": ["no", "yes"],
    "members": [
        {"trial": 3, "model": "lightgbm", "weight": 0.75, "params": {"n_estimators": 120}, "path": "member_0",
         "refit": True},
        {"trial": 5, "model": "linear", "weight": 0.25, "params": {"C": 1.0}, "path": "member_1", "refit": False,
         "folds": 5},
    ],
    "not_refit": [8], "refit_seconds": 1.25,
}


def test_run_json_round_trips() -> None:
    record = RunRecord.from_json(RUN_JSON)
    assert record.to_json() == RUN_JSON
    assert record.metric == "roc_auc" and record.data.rows == 600 and record.n_workers == 2
    assert record.data == DataRecord(path="/data/churn.csv", fingerprint="abc123", rows=600, summary={"rows": 600})


def test_a_run_json_before_the_search_round_trips_without_status() -> None:
    started = {k: v for k, v in RUN_JSON.items() if k not in ("status", "finished")}
    assert RunRecord.from_json(started).to_json() == started


def test_model_json_round_trips() -> None:
    record = ModelRecord.from_json(MODEL_JSON)
    assert record.to_json() == MODEL_JSON
    assert [m.trial for m in record.members] == [3, 5] and record.members[1].n_folds == 5
    assert record.members[0].folds is None and record.members[0].n_folds == 0


def test_a_regression_model_json_without_classes_round_trips() -> None:
    regression = {k: v for k, v in MODEL_JSON.items() if k != "classes"}
    assert ModelRecord.from_json(regression).to_json() == regression
    assert ModelRecord.from_json(regression).classes is None


@pytest.mark.parametrize(("cls", "written"), [(RunRecord, RUN_JSON), (ModelRecord, MODEL_JSON),
                                              (DataRecord, RUN_JSON["data"]),
                                              (MemberRecord, MODEL_JSON["members"][0])])
def test_an_unknown_key_survives(cls: Any, written: dict[str, Any]) -> None:
    newer = {**written, "added_by_a_plugin": {"x": [1, 2]}, "extra": "a key named like the field"}
    record = cls.from_json(newer)
    assert record.extra == {"added_by_a_plugin": {"x": [1, 2]}, "extra": "a key named like the field"}
    assert record.to_json() == newer


def test_unknown_nested_keys_survive() -> None:
    newer = {**RUN_JSON, "data": {**RUN_JSON["data"], "sheet": "2024"}}
    newer_model = {**MODEL_JSON, "members": [{**MODEL_JSON["members"][0], "device": "cpu"}]}
    assert RunRecord.from_json(newer).data.extra == {"sheet": "2024"}
    assert RunRecord.from_json(newer).to_json() == newer
    assert ModelRecord.from_json(newer_model).to_json() == newer_model


def test_a_missing_optional_key_reads_as_its_default() -> None:
    required = {k: RUN_JSON[k] for k in ("format_version", "task", "kind", "metric", "direction", "seed", "models")}
    record = RunRecord.from_json(required)
    assert record.task_options == {} and record.preset == {} and record.versions == {}
    assert record.data == DataRecord() and record.data.path is None
    assert record.target is None and record.time_budget is None and record.trials is None
    assert record.status is None and record.n_workers == 1 and record.extra == {}
    empty: dict[str, Any] = {"task_options": {}, "data": {}, "versions": {}, "preset": {}}
    assert record.to_json() == {**required, **empty}, "objects are written as empty ones, nothing is invented"


def test_null_optional_values_read_as_their_defaults() -> None:
    """Older automl wrote ``null`` for what was not given; a record reads it as not given."""
    record = RunRecord.from_json({**RUN_JSON, "preset": None, "data": None, "task_options": None, "storage": None})
    assert record.preset == {} and record.data == DataRecord() and record.task_options == {}
    assert record.storage is None


def test_a_model_json_with_task_and_members_only_reads() -> None:
    record = ModelRecord.from_json({"task": "tabular", "members": [{"path": "member_0"}]})
    assert record.validation_score is None and record.classes is None and not record.ensemble
    assert record.members == [MemberRecord(path="member_0")] and record.not_refit == []


def _run_dir(tmp_path: Path, manifest: dict[str, Any]) -> RunDir:
    (tmp_path / "run.json").write_text(json.dumps(manifest))
    return RunDir(tmp_path)


def test_run_dir_record_is_the_checked_run_json(tmp_path: Path) -> None:
    run = _run_dir(tmp_path, RUN_JSON)
    assert run.record == RunRecord.from_json(RUN_JSON)
    assert run.study_name == "churn" and run.storage_url() == "postgresql://db/automl"
    _run_dir(tmp_path, {**RUN_JSON, "seed": "0; rm -rf"})
    with pytest.raises(UserError, match="key 'seed'"):
        run.record  # noqa: B018 - the property checks the file


def test_update_manifest_keeps_keys_as_they_were_and_refuses_an_unknown_field(tmp_path: Path) -> None:
    written = {k: v for k, v in RUN_JSON.items() if k not in ("status", "finished", "preset")}
    run = _run_dir(tmp_path, written)
    run.update_manifest(status="searching", data=DataRecord(path="/elsewhere.csv", rows=3))
    saved = json.loads((tmp_path / "run.json").read_text())
    assert saved == {**written, "status": "searching", "data": {"path": "/elsewhere.csv", "rows": 3}}
    with pytest.raises(TypeError, match="statuss"):
        run.update_manifest(statuss="finished")


def test_refit_params_default_means_the_searched_parameters() -> None:
    class Subclass(Estimator):
        def fit(self, X: Any, y: Any, X_valid: Any = None, y_valid: Any = None) -> Subclass:
            return self

    class ThirdParty:  # matches the protocol without refit_params
        def fit(self, X: Any, y: Any, X_valid: Any = None, y_valid: Any = None) -> ThirdParty:
            return self

    class Rounds(ThirdParty):
        def refit_params(self) -> dict[str, Any]:
            return {"n_estimators": 40}

    assert Subclass().refit_params() == {} and refit_params_of(Subclass()) == {}
    assert refit_params_of(ThirdParty()) == {}
    assert refit_params_of(Rounds()) == {"n_estimators": 40}
