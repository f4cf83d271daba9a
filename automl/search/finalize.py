"""After the search: pick the final model (a single trial or an ensemble), refit it
on all the training data, and save it to ``best/`` in each model's own format.
"""

from __future__ import annotations

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.errors import UserError
from automl.search import artifacts
from automl.search.ensemble import blend, select
from automl.search.objective import score_all
from automl.search.setup import SearchSetup
from automl.search.space import MODEL_PARAM, model_params

ENSEMBLE_ATTR = "ensemble"
FINAL_ATTR = "final"
ENSEMBLE_CANDIDATES = 12


@dataclass(frozen=True)
class Selection:
    weights: dict[int, float]
    score: float
    is_ensemble: bool


def ranked_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Completed trials with saved artifacts, best first."""
    trials = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if artifacts.PREDICTIONS_ATTR in t.user_attrs and t.value is not None
    ]
    reverse = study.direction == optuna.study.StudyDirection.MAXIMIZE
    return sorted(trials, key=lambda t: t.value, reverse=reverse)


def refit_seconds(trial: FrozenTrial, n_folds: int) -> float:
    """Expected time to refit a trial on all the data, from its validation fit time."""
    fit = float(trial.user_attrs.get("fit_seconds", 0.0))
    return fit / (n_folds - 1) if n_folds > 1 else fit / (1 - 0.2)


def choose_final(setup: SearchSetup, study: optuna.Study, seconds_left: float | None = None) -> Selection:
    """The best single trial, or the ensemble when it scores better and its refit fits in ``seconds_left``."""
    ranked = ranked_trials(study)
    if not ranked:
        raise UserError(
            "no trial completed, so there is no model; give a larger --time-budget or "
            "--trials, or look at the failed trials with 'automl leaderboard'"
        )
    best = ranked[0]
    single = Selection({best.number: 1.0}, float(best.value), is_ensemble=False)
    if not setup.task.ensemble or len(ranked) < 2:
        return single
    store = setup.run.artifact_store()
    candidates = ranked[:ENSEMBLE_CANDIDATES]
    predictions = {t.number: artifacts.load_predictions(store, t) for t in candidates}
    result = select(predictions, setup.y_valid, setup.metric)
    blended = blend([predictions[n] for n in result.weights], list(result.weights.values()))
    study.set_user_attr(
        ENSEMBLE_ATTR,
        {
            "weights": {str(n): w for n, w in result.weights.items()},
            "score": result.score,
            "metrics": score_all(setup, blended),
            "fit_seconds": sum(_trial(study, n).user_attrs.get("fit_seconds", 0.0) for n in result.weights),
            "predict_ms_per_1k": sum(
                _trial(study, n).user_attrs.get("predict_ms_per_1k", 0.0) for n in result.weights
            ),
            "size_bytes": sum(_trial(study, n).user_attrs.get("size_bytes", 0) for n in result.weights),
        },
    )
    if len(result.weights) > 1 and setup.metric.better(result.score, single.score):
        cost = sum(refit_seconds(_trial(study, n), len(setup.folds)) for n in result.weights)
        if seconds_left is None or cost <= max(seconds_left, refit_seconds(best, len(setup.folds))):
            return Selection(result.weights, result.score, is_ensemble=True)
        note = f"not used: refitting its members would take about {cost:.0f}s, {max(seconds_left, 0):.0f}s were left"
        study.set_user_attr(ENSEMBLE_ATTR, {**study.user_attrs[ENSEMBLE_ATTR], "note": note})
    return single


def _trial(study: optuna.Study, number: int) -> FrozenTrial:
    return study.get_trials(deepcopy=False)[number]


def refit_and_save(setup: SearchSetup, study: optuna.Study, selection: Selection) -> Path:
    """Refit every member on all the data and write ``best/`` atomically."""
    staging = setup.run.path / "best.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    members = []
    started = time.perf_counter()
    X, y = setup.dataset.X, np.asarray(setup.dataset.y)
    for index, (number, weight) in enumerate(selection.weights.items()):
        trial = _trial(study, number)
        key = trial.params[MODEL_PARAM]
        spec = setup.models[key]
        params = trial.user_attrs.get("refit_params") or model_params(key, trial.params)
        estimator = spec.build(dict(params), setup.context()).fit(X, y)
        folder = staging / f"member_{index}"
        folder.mkdir()
        spec.save(estimator, folder)
        members.append({"trial": number, "model": key, "weight": weight, "params": params, "path": folder.name})
    description = {
        "task": setup.task.name,
        "kind": setup.dataset.kind,
        "metric": setup.metric.name,
        "validation_score": selection.score,
        "ensemble": selection.is_ensemble,
        "classes": setup.dataset.classes,
        "members": members,
        "refit_seconds": round(time.perf_counter() - started, 3),
    }
    (staging / "model.json").write_text(json.dumps(description, indent=2, default=_json_default) + "\n")
    (staging / "schema.json").write_text(json.dumps(setup.dataset.schema, indent=2, default=_json_default) + "\n")
    shutil.rmtree(setup.run.best, ignore_errors=True)
    staging.replace(setup.run.best)
    study.set_user_attr(
        FINAL_ATTR,
        {"trials": list(selection.weights), "ensemble": selection.is_ensemble, "score": selection.score},
    )
    return setup.run.best


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
