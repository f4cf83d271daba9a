"""An external Optuna storage URL is used for the study and recorded in run.json."""

from __future__ import annotations

import json

import optuna

from automl import AutoML, Run
from automl_plugins.tabular.demo import churn_frame


def test_storage_url_is_used_and_recorded(tmp_path):
    url = f"sqlite:///{tmp_path / 'study.db'}"
    run = AutoML(time_budget=60, trials=3, models=["linear"], storage=url, run_dir=tmp_path / "run").fit(
        churn_frame(300, 0), target="churned"
    )
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["storage"] == url
    assert not (tmp_path / "run" / "study.journal").exists(), "the study lives in the external storage"
    study = optuna.load_study(study_name="automl", storage=url)
    assert len(study.trials) == 3
    assert len(Run.load(run.path).leaderboard()) >= 3
