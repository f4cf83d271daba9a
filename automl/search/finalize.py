"""After the search: pick the final model (a single trial or an ensemble), refit it
on all the training data, and save it to ``best/`` in each model's own format.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import optuna
from optuna.trial import FrozenTrial, TrialState

from automl import atomic, integrity
from automl.errors import UserError
from automl.evidence.validation import save_validation
from automl.records import MemberRecord, ModelRecord
from automl.search import artifacts, estimate, isolation, noise
from automl.search.ensemble import EnsembleResult, blend, select
from automl.search.members import save_folds
from automl.search.objective import score_all
from automl.search.setup import SearchSetup
from automl.search.space import MODEL_PARAM, model_params
from automl.trial_attrs import FIT_SECONDS, METRICS, PREDICT_MS_PER_1K, SIZE_BYTES, TIE_BREAK_ATTR, TrialRecord

log = logging.getLogger(__name__)
ENSEMBLE_ATTR = "ensemble"
FINAL_ATTR = "final"
ENSEMBLE_CANDIDATES = 12
PER_FAMILY_CANDIDATES = 3
CHAMPION_SLACK = 2.0
REFIT_GRACE_SECONDS = 1.0  # past the refit deadline before a refit's child is killed


GREEDY_NOTE = "greedy ensemble selection over the best trials"
CHAMPIONS_NOTE = "an equal-weight mean of each model family's best trial"


@dataclass(frozen=True)
class Selection:
    """The final model's trials and weights, its validation score, and why it was chosen (one clause)."""

    weights: dict[int, float]
    score: float
    is_ensemble: bool
    reason: str = ""


def ranked_trials(study: optuna.Study) -> list[FrozenTrial]:
    """Completed trials with saved artifacts, best first."""
    trials = [
        t
        for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if artifacts.PREDICTIONS_ATTR in t.user_attrs and t.value is not None
    ]
    sign = -1.0 if study.direction == optuna.study.StudyDirection.MAXIMIZE else 1.0
    name = tie_break_metric(study)
    return sorted(trials, key=lambda t: (sign * t.value, tie_breaker(t, name)))


def tie_break_metric(study: optuna.Study) -> str | None:
    """The metric that orders tied trials (the task's ``MetricSpec.tie_breaker``), as the run recorded it."""
    name = study.user_attrs.get(TIE_BREAK_ATTR)
    return name if isinstance(name, str) else None


def tie_breaker(trial: FrozenTrial, name: str | None) -> float:
    """Among trials with equal scores, prefer the better-calibrated one (lower log-loss, say).

    Label metrics (accuracy, F1) on a small validation set tie often; a smooth
    score of the same predictions still tells the models apart.
    """
    return float(TrialRecord.of(trial.user_attrs).metrics.get(name, 0.0)) if name else 0.0


def choose_final(setup: SearchSetup, study: optuna.Study) -> Selection:
    """The best single trial, or the ensemble when it scores better on validation; with the reason why.

    The ensemble candidate is recorded in the study (``ENSEMBLE_ATTR``) whether
    or not it is delivered; its note says how it was built and, when a single
    trial is delivered instead, why.
    """
    ranked = ranked_trials(study)
    if not ranked:
        raise UserError(
            "no trial completed, so there is no model; give a larger --time-budget or "
            "--trials, or look at the failed trials with 'automl leaderboard'"
        )
    store = setup.run.artifact_store()
    best, margin = ranked[0], 0.0
    metric = setup.metric.name
    if noise.applies(setup, TrialRecord.of(best.user_attrs).metrics):
        margin = noise.standard_error(setup, artifacts.load_predictions(store, best))
        best = calmest(setup, ranked, margin)
    why = f"the best validation {metric}"
    if best.number != ranked[0].number:
        why = (f"the one-standard-error rule: its {metric} is within one bootstrap standard error ({margin:.4g}) "
               f"of the top trial {ranked[0].number}'s {float(ranked[0].value):.4g}, and its log-loss is the "
               "lowest of those tied trials")
    single = Selection({best.number: 1.0}, float(best.value), is_ensemble=False, reason=why)
    if not setup.task.ensemble or len(ranked) < 2:
        return single
    champions = setup.task.combination == "family_champions"
    if champions:
        candidates = family_champions(setup, ranked)
        if len(candidates) < 2:
            return single
        predictions = {t.number: artifacts.load_predictions(store, t) for t in candidates}
        weights = {t.number: 1.0 / len(candidates) for t in candidates}
        combined = blend(list(predictions.values()), list(weights.values()))
        result = EnsembleResult(weights, float(setup.metric.fn(setup.y_valid, combined)))
    else:
        candidates = ensemble_candidates(ranked)
        first = artifacts.load_predictions(store, candidates[0])
        candidates = candidates[:_candidates_in_memory(np.asarray(first).nbytes, len(candidates))]
        predictions = {t.number: artifacts.load_predictions(store, t) for t in candidates}
        result = select(predictions, setup.y_valid, setup.metric)
    blended = blend([predictions[n] for n in result.weights], list(result.weights.values()))
    metrics = score_all(setup, blended)
    chosen, refusal = _ensemble_or_single(setup, result, metrics, single, (best, ranked[0]), margin, champions)
    method = CHAMPIONS_NOTE if champions else GREEDY_NOTE
    study.set_user_attr(ENSEMBLE_ATTR, {
        **_blend_costs(study, result.weights), "score": result.score, METRICS: metrics, "method": method,
        "note": method if chosen.is_ensemble else f"{method}; not delivered: {refusal}",
    })
    return chosen


def _ensemble_or_single(setup: SearchSetup, result: EnsembleResult, metrics: dict[str, float], single: Selection,
                        trials: tuple[FrozenTrial, FrozenTrial], margin: float,
                        champions: bool) -> tuple[Selection, str]:
    """The ensemble when it wins (else ``single``), and why the ensemble was not delivered.

    ``trials`` are the single trial chosen (``best``) and the top-scoring one.
    """
    metric = setup.metric.name
    best, top = trials
    ensemble = Selection(result.weights, result.score, is_ensemble=True)
    if champions:
        return replace(ensemble, reason=f"{CHAMPIONS_NOTE} ({len(result.weights)} families), which this task "
                                        "always delivers"), ""
    number = best.number
    if len(result.weights) < 2:
        return single, "ensemble selection kept only one trial"
    if margin > 0:  # label metric: the ensemble must tie with the best score and be the calmer of the two
        smooth = setup.tie_break_metric
        blended_loss = metrics.get(smooth) if smooth else None
        tied = noise.within(setup, result.score, float(top.value), margin)
        if tied and blended_loss is not None and blended_loss < tie_breaker(best, smooth):
            return replace(ensemble, reason=(
                f"{GREEDY_NOTE}: its {metric} is within one bootstrap standard error ({margin:.4g}) of the top "
                f"trial's and its log-loss is lower than trial {number}'s")), ""
        return single, (f"its {metric} is not within one bootstrap standard error ({margin:.4g}) of the top trial's"
                        if not tied else f"its log-loss is not lower than trial {number}'s")
    if setup.metric.better(result.score, single.score):
        return replace(ensemble, reason=f"{GREEDY_NOTE}: its validation {metric} beats trial {number}'s "
                                        f"{single.score:.4g}"), ""
    return single, f"its validation {metric} does not beat trial {number}'s {single.score:.4g}"


def _blend_costs(study: optuna.Study, weights: dict[int, float]) -> dict[str, Any]:
    """A blend's weights and what it costs: its members' fit time, prediction time and size, summed."""
    trials = [TrialRecord.of(_trial(study, n).user_attrs) for n in weights]
    return {
        "weights": {str(n): w for n, w in weights.items()},
        FIT_SECONDS: sum(t.fit_seconds or 0.0 for t in trials),
        PREDICT_MS_PER_1K: sum(t.predict_ms_per_1k or 0.0 for t in trials),
        SIZE_BYTES: sum(t.size_bytes or 0 for t in trials),
    }


def calmest(setup: SearchSetup, ranked: list[FrozenTrial], margin: float) -> FrozenTrial:
    """Among the trials tied with the best within ``margin``, the one with the lowest log-loss."""
    top = float(ranked[0].value)
    tied = [t for t in ranked if noise.within(setup, float(t.value), top, margin)
            and setup.tie_break_metric in TrialRecord.of(t.user_attrs).metrics]
    return min(tied, key=lambda t: tie_breaker(t, setup.tie_break_metric)) if tied else ranked[0]


def family_champions(setup: SearchSetup, ranked: list[FrozenTrial]) -> list[FrozenTrial]:
    """The best trial of each model family, baselines left out, and so are families that failed badly.

    A family whose best validation error is more than ``CHAMPION_SLACK`` times
    the best family's is broken on this data, not merely unlucky; averaging it
    in would only add its error. For a score (accuracy, F1, AUC: higher is
    better, at most 1), the error is 1 - score.
    """
    champions: dict[str, FrozenTrial] = {}
    for trial in ranked:
        family = str(trial.params.get(MODEL_PARAM))
        spec = setup.models.get(family)
        if family not in champions and spec is not None and not spec.baseline:
            champions[family] = trial
    chosen = list(champions.values())
    if not chosen:
        return chosen
    errors = [_error(setup, float(t.value)) for t in chosen]
    if errors[0] is None or errors[0] <= 0:
        return chosen
    return [t for t, error in zip(chosen, errors, strict=True)
            if error is not None and error <= CHAMPION_SLACK * errors[0]]


def _error(setup: SearchSetup, score: float) -> float | None:
    """The score as an error that is 0 at best, when the metric has such a reading."""
    if setup.metric.direction == "minimize":
        return score if score >= 0 else None
    return 1.0 - score if score <= 1.0 else None


def _candidates_in_memory(bytes_each: int, wanted: int) -> int:
    """How many candidates' predictions ensemble selection may stack (at least two, the best first).

    Selection holds every candidate's validation predictions at once (rows x
    classes each): with 1,000 classes and 100,000 rows that is 800 MB a trial.
    """
    from automl.limits import MEMORY_CAP_BYTES

    return max(2, min(wanted, MEMORY_CAP_BYTES // max(bytes_each, 1)))


def ensemble_candidates(ranked: list[FrozenTrial]) -> list[FrozenTrial]:
    """The best trials overall, plus the best few of every model family.

    The top of a leaderboard is often one family in slightly different
    configurations; their errors coincide, so blending them gains little on
    new data. Families that err differently (a linear model, a network, naive
    Bayes) are what an ensemble needs: on SMS spam the family-diverse pool
    scored 0.955 test F1 against 0.948 for the top 12 alone.
    """
    chosen = ranked[:ENSEMBLE_CANDIDATES]
    taken = {t.number for t in chosen}
    per_family: dict[str, int] = {}
    for trial in ranked:
        family = str(trial.params.get(MODEL_PARAM))
        per_family[family] = per_family.get(family, 0) + 1
        if per_family[family] <= PER_FAMILY_CANDIDATES and trial.number not in taken:
            chosen.append(trial)
            taken.add(trial.number)
    return chosen


def _trial(study: optuna.Study, number: int) -> FrozenTrial:
    return study.get_trials(deepcopy=False)[number]


def refit_and_save(setup: SearchSetup, study: optuna.Study, selection: Selection,
                   deadline: float | None = None) -> Path:
    """Refit the members on all the data, heaviest weight first, and write ``best/`` atomically.

    A member whose refit would not end before the deadline keeps its trial's
    fold models instead (already fitted and validated), so the budget holds.
    When the time budget ends during an ensemble's refit, the members refit so
    far form the final model (weights renormalised), so the budget holds.
    """
    staging = setup.run.path / "best.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    members = []
    started = time.perf_counter()
    X, y = setup.dataset.X, np.asarray(setup.dataset.y)
    ordered = sorted(selection.weights.items(), key=lambda item: -item[1])
    fork_safe = isolation.budget_forks_allowed()
    for index, (number, weight) in enumerate(ordered):
        if members and deadline is not None and time.time() > deadline:
            break
        trial = _trial(study, number)
        key = trial.params[MODEL_PARAM]
        spec = setup.models.get(key)
        if spec is None:  # the journal and run.json of two different runs, or an edited journal
            raise UserError(f"trial {number} of the study is a '{key}' model, which run.json does not list "
                            f"({', '.join(setup.models) or 'none'}); the run folder is damaged or mixes two runs")
        params = TrialRecord.of(trial.user_attrs).refit_params or model_params(key, trial.params)
        folder = staging / f"member_{index}"
        folder.mkdir()
        member = MemberRecord(trial=number, model=key, weight=weight, params=params, path=folder.name)
        fallback = setup.task.fold_models_serve and artifacts.has_models(trial)
        fits = deadline is None or time.time() + estimate.SAFETY * refit_seconds(setup, trial) <= deadline
        if fits and _refit(setup, spec, params, folder, deadline, killable=fallback and fork_safe):
            member = replace(member, refit=True)
        elif fallback:
            folds = artifacts.copy_models(setup.run.artifact_store(), trial, folder)
            if folds is None:  # not signed here: loaded (probed first) and saved again
                fork_safe = False  # loading models may run OpenMP here; a child forked after that can hang
                folds = save_folds(spec, artifacts.load_models(setup.run.artifact_store(), trial, spec), folder)
            member = replace(member, refit=False, folds=folds)
        elif not members:  # no other way to serve the first member: refit it, told to stop at the deadline
            spec.save(spec.build(dict(params), setup.context(deadline=deadline)).fit(X, y), folder)
            member = replace(member, refit=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
            break
        members.append(member)
    total = sum(float(m.weight or 0.0) for m in members)
    members = [replace(m, weight=float(m.weight or 0.0) / total) for m in members]
    dropped = [n for n, _ in ordered[len(members):]]
    store = setup.run.artifact_store()
    weights = {int(m.trial or 0): float(m.weight or 0.0) for m in members}
    blended = blend([artifacts.load_predictions(store, _trial(study, n)) for n in weights], list(weights.values()))
    selection = delivered(setup, study, selection, weights, blended, dropped)
    description = ModelRecord(
        task=setup.task.name, kind=setup.dataset.kind, metric=setup.metric.name, validation_score=selection.score,
        ensemble=selection.is_ensemble, why=selection.reason, classes=setup.dataset.classes, members=members,
        not_refit=dropped, refit_seconds=round(time.perf_counter() - started, 3),
    )
    atomic.write_text(staging / "model.json",
                      json.dumps(description.to_json(), indent=2, default=_json_default) + "\n")
    atomic.write_text(staging / "schema.json", json.dumps(setup.dataset.schema, indent=2, default=_json_default) + "\n")
    save_final_validation(setup, blended, staging)
    integrity.record(staging, setup.run.manifest)  # last: checksums of every file above, and of run.json
    shutil.rmtree(setup.run.best, ignore_errors=True)
    staging.replace(setup.run.best)
    study.set_user_attr(
        FINAL_ATTR,
        {"trials": list(selection.weights), "ensemble": selection.is_ensemble, "score": selection.score,
         "reason": selection.reason},
    )
    return setup.run.best


def delivered(setup: SearchSetup, study: optuna.Study, chosen: Selection, weights: dict[int, float],
              blended: np.ndarray, dropped: list[int]) -> Selection:
    """The model that was saved, scored on validation: ``chosen``, or what the refit left of it.

    When the time budget ends during an ensemble's refit, the members refit so
    far are the final model (weights renormalised), so the full ensemble's score
    would describe a model nobody has. A blend is scored on the very predictions
    saved as the report's evidence; one trial left alone keeps its own score. The
    study's ensemble record follows: the delivered blend's weights and score, or,
    when one trial is delivered alone, the candidate with a note saying why not.
    """
    ensemble = _mapping(study.user_attrs.get(ENSEMBLE_ATTR))
    method = ensemble.get("method") if ensemble.get("method") in (GREEDY_NOTE, CHAMPIONS_NOTE) else GREEDY_NOTE
    reason = chosen.reason
    if len(weights) == 1:
        number = next(iter(weights))
        if dropped:
            reason = (f"the time budget ended during the ensemble's refit, so trials {dropped} were left out and "
                      f"trial {number} alone was delivered")
            if ensemble:
                study.set_user_attr(ENSEMBLE_ATTR, {**ensemble, "note": f"{method}; not delivered: {reason}"})
        return Selection(weights, float(_trial(study, number).value), is_ensemble=False, reason=reason)
    if dropped:
        reason = (f"the time budget ended during the ensemble's refit, so trials {dropped} were left out; the "
                  "weights of the rest were renormalised and that blend re-scored on validation")
    score = float(setup.metric.fn(setup.y_valid, blended))
    note = method if not dropped else f"{method}; the refit left out trials {dropped} (out of time)"
    study.set_user_attr(ENSEMBLE_ATTR, {**_blend_costs(study, weights), "score": score, "method": method,
                                        "metrics": score_all(setup, blended), "note": note})
    return Selection(weights, score, is_ensemble=True, reason=reason)


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def save_final_validation(setup: SearchSetup, blended: np.ndarray, folder: Path) -> None:
    """The final model's out-of-fold predictions (its members' blend), the report's evidence."""
    fold = np.concatenate([np.full(len(valid), i) for i, (_, valid) in enumerate(setup.folds)])
    save_validation(folder, setup.y_valid, blended, setup.valid_index, fold)


def _refit(setup: SearchSetup, spec: Any, params: dict[str, Any], folder: Path, deadline: float | None,
           killable: bool) -> bool:
    """Fit one member on all the data and save it to ``folder``; False when it was stopped at the deadline.

    The model is told the deadline (models that can, stop there). When the
    trial's fold models can serve instead (``killable``), the fit runs in a
    killable child (a refit looks at the clock no more than a trial does) that
    saves the model itself, so nothing large comes back through the pipe; when
    it is killed, the caller serves the trial's fold models.
    """
    X, y = setup.dataset.X, np.asarray(setup.dataset.y)

    def fit_and_save(_report: Any = None) -> None:
        spec.save(spec.build(dict(params), setup.context(deadline=deadline)).fit(X, y), folder)

    if deadline is None or not killable:
        fit_and_save()
        return True
    try:
        isolation.run_isolated(fit_and_save, lambda _step, _value: None, deadline + REFIT_GRACE_SECONDS)
    except (isolation.TrialTimeout, isolation.TrialProcessDied, isolation.ChildFailed) as exc:
        log.warning("the refit was stopped (%s); the trial's fold models are kept", exc)
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        return False
    return True


def refit_seconds(setup: SearchSetup, trial: FrozenTrial) -> float:
    """The trial's fit time scaled from its training rows (all folds) to the whole data set."""
    train_rows = sum(len(train) for train, _ in setup.folds)
    return (TrialRecord.of(trial.user_attrs).fit_seconds or 0.0) * setup.dataset.n_rows / max(train_rows, 1)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return str(value)
