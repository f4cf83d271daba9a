"""The one-standard-error rule: among trials tied within noise on a label metric, the lowest log-loss (the
task's tie-breaking metric) wins."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from sklearn.metrics import f1_score

from automl import MetricSpec
from automl.search import noise
from automl.search.finalize import calmest


def f1(y: np.ndarray, proba: np.ndarray) -> float:
    return float(f1_score(y, np.argmax(proba, axis=1)))


F1 = MetricSpec("f1", f1, "maximize", needs_proba=False)


def trial(number: int, score: float, loss: float) -> SimpleNamespace:
    return SimpleNamespace(number=number, value=score, user_attrs={"metrics": {"f1": score, "log_loss": loss}})


def test_the_standard_error_shrinks_with_more_validation_rows() -> None:
    rng = np.random.default_rng(0)
    errors = []
    for n in (200, 5000):
        y = rng.integers(0, 2, n)
        right = rng.random(n) < 0.9
        labels = np.where(right, y, 1 - y)
        proba = np.column_stack([1 - labels, labels]).astype(float)
        errors.append(noise.standard_error(SimpleNamespace(y_valid=y, metric=F1, seed=0), proba))
    assert errors[0] > 3 * errors[1] > 0


def test_a_calmer_trial_within_the_margin_beats_the_luckiest() -> None:
    setup = SimpleNamespace(metric=F1, tie_break_metric="log_loss")
    ranked = [trial(0, 0.979, 0.0281), trial(1, 0.976, 0.0259), trial(2, 0.960, 0.0200)]
    assert calmest(setup, ranked, margin=0.005).number == 1  # trial 2 is calmer still, but clearly worse
    assert calmest(setup, ranked, margin=0.0).number == 0


def test_it_applies_to_label_metrics_with_a_recorded_log_loss_only() -> None:
    proba_metric = MetricSpec("roc_auc", f1, "maximize", needs_proba=True)
    assert noise.applies(SimpleNamespace(metric=F1, tie_break_metric="log_loss"), {"log_loss": 0.1})
    assert not noise.applies(SimpleNamespace(metric=F1, tie_break_metric="log_loss"), {"rmse": 0.1})
    assert not noise.applies(SimpleNamespace(metric=proba_metric, tie_break_metric="log_loss"), {"log_loss": 0.1})


def test_the_tie_breaker_is_the_metric_a_plugin_marks_not_a_name() -> None:
    from automl.search.setup import SearchSetup

    brier = MetricSpec("brier", f1, "minimize", needs_proba=True, tie_breaker=True)
    log_loss = MetricSpec("log_loss", f1, "minimize", needs_proba=True)  # not marked: not a tie-breaker
    setup = SearchSetup(catalog=None, run=None, task=None, dataset=None, folds=[], metric=F1,  # type: ignore[arg-type]
                        models={}, extra_metrics=[log_loss, brier])
    assert setup.tie_break_metric == "brier"
    assert noise.applies(setup, {"brier": 0.2, "log_loss": 0.1})
    ranked = [trial(0, 0.979, 0.0281), trial(1, 0.976, 0.0259)]
    ranked[0].user_attrs["metrics"]["brier"], ranked[1].user_attrs["metrics"]["brier"] = 0.01, 0.02
    assert calmest(setup, ranked, margin=0.005).number == 0  # by brier, although trial 1 has the lower log-loss
    assert SearchSetup(**{**setup.__dict__, "extra_metrics": [log_loss]}).tie_break_metric is None
