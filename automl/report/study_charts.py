"""The search itself, drawn from the Optuna study: how the score improved, which
settings mattered, and how the model families compare.
"""

from __future__ import annotations

import warnings
from collections import defaultdict
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.report.charts import Chart, bar_chart, to_svg
from automl.search.space import MODEL_PARAM

MIN_TRIALS_FOR_IMPORTANCE = 4
CHART_SIZE = (6.0, 3.4)


def completed(study: optuna.Study) -> list[FrozenTrial]:
    return [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)) if t.value is not None]


def _optuna_plot(plot: Any, study: optuna.Study, **kwargs: Any) -> Any:
    from optuna.visualization import matplotlib as optuna_matplotlib

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        ax = getattr(optuna_matplotlib, plot)(study, **kwargs)
    ax.figure.set_size_inches(*CHART_SIZE)
    return ax


def optimization_history(study: optuna.Study, metric: str) -> Chart | None:
    if not completed(study):
        return None
    from automl.report.charts import _pyplot

    plt = _pyplot()
    ax = _optuna_plot("plot_optimization_history", study, target_name=metric)
    ax.set_title("Optimization history")
    try:
        return Chart("optimization_history", "How the search improved", to_svg(ax.figure),
                     f"Each dot is one trial's validation {metric}; the line is the best so far.")
    finally:
        plt.close(ax.figure)


def family_study(study: optuna.Study, family: str) -> optuna.Study:
    """The trials of one model family as a study of their own, without the family choice itself.

    Parameters of different families never appear together, so importances are
    only meaningful within a family.
    """
    view = optuna.create_study(directions=study.directions)
    for trial in completed(study):
        if trial.params.get(MODEL_PARAM) != family:
            continue
        params = {k: v for k, v in trial.params.items() if k != MODEL_PARAM}
        view.add_trial(optuna.trial.create_trial(
            params=params, distributions={k: trial.distributions[k] for k in params}, value=trial.value))
    return view


def param_importances(study: optuna.Study, family: str) -> Chart | None:
    view = family_study(study, family)
    if len(view.trials) < MIN_TRIALS_FOR_IMPORTANCE:
        return None
    from automl.report.charts import _pyplot

    plt = _pyplot()
    try:
        ax = _optuna_plot("plot_param_importances", view,
                          evaluator=optuna.importance.FanovaImportanceEvaluator(seed=0))
    except (ValueError, RuntimeError):  # e.g. every trial had the same parameters
        return None
    for side in ("left", "right"):
        ax.set_title("", loc=side)
    ax.set_title(f"Which {family} settings mattered")
    ax.set_yticks(ax.get_yticks(), [t.get_text().removeprefix(f"{family}.") for t in ax.get_yticklabels()])
    try:
        return Chart("param_importances", f"Settings that mattered ({family})", to_svg(ax.figure),
                     f"fANOVA importance of each {family} hyperparameter over its {len(view.trials)} trials.")
    finally:
        plt.close(ax.figure)


def family_scores(study: optuna.Study) -> dict[str, list[float]]:
    scores: dict[str, list[float]] = defaultdict(list)
    for trial in completed(study):
        scores[str(trial.params.get(MODEL_PARAM))].append(float(trial.value))
    return dict(scores)


def family_comparison(study: optuna.Study, metric: str, maximize: bool) -> Chart | None:
    scores = family_scores(study)
    if not scores:
        return None
    best = {family: (max(values) if maximize else min(values)) for family, values in scores.items()}
    order = sorted(best, key=lambda f: best[f], reverse=maximize)
    labels = [f"{family} ({len(scores[family])})" for family in order]
    return bar_chart("family_comparison", "Model families compared", labels, [best[f] for f in order],
                     xlabel=f"best validation {metric}", highlight=0, value_format="{:.4g}", zoom=True,
                     caption=f"Best {metric} of each model family; the number of trials is in brackets.")
