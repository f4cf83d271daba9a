"""When a refit cannot end before the deadline, the final model is the trial's own fold models."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from automl import AutoML
from automl.api import Run
from automl.catalog import build_catalog
from automl.search import artifacts
from automl.search.finalize import Selection, ranked_trials, refit_and_save
from automl.workflow import build_setup


def test_no_time_to_refit_keeps_the_validated_fold_models(churn_csv: Path, tmp_path: Path) -> None:
    run = AutoML(task="tabular", trials=2, run_dir=tmp_path / "run", models=["linear"]).fit(churn_csv,
                                                                                            target="churned")
    refit = run.model_record().members[0]
    assert refit.refit is True and refit.folds is None  # no deadline: refit on all the data

    setup = build_setup(run.dir, build_catalog())
    study = run.study()
    best = ranked_trials(study)[0]
    refit_and_save(setup, study, Selection({best.number: 1.0}, float(best.value), False), deadline=time.time() - 1)

    reloaded = Run.load(run.path)
    member = reloaded.model_record().members[0]
    folds = artifacts.load_models(setup.run.artifact_store(), best, setup.models["linear"])
    assert member.refit is False and member.folds == len(folds) == len(setup.folds)
    batch = setup.task.prepare(churn_csv, reloaded.schema())
    expected = np.mean([model.predict(batch.X) for model in folds], axis=0)
    predicted = reloaded.predict(churn_csv)
    assert np.allclose(predicted.filter(like="proba_").to_numpy(), expected)
    # the fold models served by the final model are the ones explanations use: loaded once, not twice
    assert reloaded.fold_models(best.number) is reloaded.members()[0][0].models
    assert [type(m) for m in reloaded.fold_models(best.number)] == [type(m) for m in folds]
