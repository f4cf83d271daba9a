"""The executive summary: what was predicted and how good that is, in the business's words.

Every number is compared with what a person could do without a model
(flagging at random, guessing the most common answer, predicting the average),
because "AUC 0.87" means nothing to a CEO and "finds 78% of the customers who
leave, where random calls would find 26%" does. A use-case preset supplies
the nouns (its ``wording``, see docs/presets.md); otherwise they come from
the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from automl.evidence.validation import Interval, Validation
from automl.records import ModelRecord, RunRecord
from automl.report.prediction_charts import probabilities
from automl.specs import TaskWords

POSITIVE_WORDS = {"1", "true", "yes", "y", "positive", "pos", "spam", "churn", "churned", "fraud", "default",
                  "left", "bad", "defect", "defective"}


@dataclass
class Summary:
    headline: str
    points: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Wording:
    """The nouns the summary uses: the task's (:class:`~automl.specs.TaskWords`), which a preset overrides."""

    entity: str = "rows"
    target: str = "the target"
    positive: str | None = None
    positive_label: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    unit: str = "row"
    metric: str = ""  # the run's metric in plain words ("ranking quality (AUC)")

    @classmethod
    def from_record(cls, manifest: RunRecord, words: TaskWords | None = None) -> Wording:
        """The run's words: a preset's wording first, then the task's, then neutral ones."""
        from automl.report.words import NEUTRAL, metric_name

        words = words or NEUTRAL
        given = manifest.preset.get("wording") or {}  # the preset's own keys (automl.presets), not run.json's
        column = manifest.target
        target = given.get("target") or (f"'{column}'" if column else words.target)
        entity = given.get("entity")  # a preset names its plural only: it stands for one too
        return cls(entity=str(entity or words.units), target=str(target),
                   positive=given.get("positive"), positive_label=_text(given.get("positive_label")),
                   labels={str(k): str(v) for k, v in (given.get("labels") or {}).items()},
                   unit=str(entity or words.unit),
                   metric=metric_name(manifest.metric, manifest, words))

    def label(self, raw: Any) -> str:
        return self.labels.get(str(raw), str(raw))

    def count(self, n: int) -> str:
        """``1 image``, ``300 images``."""
        return f"{n:,} {self.unit if n == 1 else self.entity}"


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def positive_class(classes: list[Any], y: np.ndarray, wording: Wording) -> int:
    """The class the business cares about: the preset's, a name that says so, else the rarer one."""
    names = [str(c) for c in classes]
    if wording.positive_label in names:
        return names.index(wording.positive_label)
    for index in (1, 0):
        if names[index].strip().lower() in POSITIVE_WORDS:
            return index
    counts = np.bincount(y.astype(int), minlength=2)
    return int(np.argmin(counts))


def pct(value: float) -> str:
    return f"{100 * value:.0f}%"


def operating_point(truth: np.ndarray, score: np.ndarray) -> float:
    """The score threshold with the best F1: the cut a team would act on if nobody set one.

    The model's own labels (probability above one half) flag almost nobody when
    the event is rare, which reads as a useless model even when its ranking is good.
    """
    from sklearn.metrics import precision_recall_curve

    precision, recall, thresholds = precision_recall_curve(truth, score)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    return float(thresholds[int(np.argmax(f1[:-1]))]) if len(thresholds) else 0.5


def binary_summary(validation: Validation, classes: list[Any], wording: Wording) -> Summary:
    proba = probabilities(validation, 2)
    y = np.asarray(validation.y).astype(int)
    positive = positive_class(classes, y, wording)
    actual = y == positive
    flagged = proba[:, positive] >= operating_point(actual.astype(int), proba[:, positive])
    found = float((flagged & actual).sum() / max(actual.sum(), 1))
    flag_rate = float(flagged.mean())
    precision = float((flagged & actual).sum() / max(flagged.sum(), 1))
    base_rate = float(actual.mean())
    who = wording.positive or f"{wording.entity} whose {wording.target} is '{wording.label(classes[positive])}'"
    headline = (f"Of the {who}, the model flags {pct(found)}; flagging the same number of {wording.entity} "
                f"({pct(flag_rate)}) at random would find {pct(flag_rate)}.")
    lift = f" ({precision / base_rate:.1f} times the base rate)" if base_rate > 0 else ""
    points = [
        f"Of the {wording.entity} it flags, {pct(precision)} really are {who}, against {pct(base_rate)} of all "
        f"{wording.entity}{lift}.",
        f"It flags the {pct(flag_rate)} of {wording.entity} it rates most likely (the cut that balances "
        "finding cases against false alarms); a different cut trades one for the other, see the "
        "precision-recall curve.",
        f"Measured on {wording.count(len(y))} the model did not learn from.",
    ]
    return Summary(headline, points)


def multiclass_summary(validation: Validation, classes: list[Any], wording: Wording) -> Summary:
    proba = probabilities(validation, len(classes))
    y = np.asarray(validation.y).astype(int)
    accuracy = float((proba.argmax(axis=1) == y).mean())
    counts = np.bincount(y, minlength=len(classes))
    common = int(counts.argmax())
    baseline = float(counts[common] / max(len(y), 1))
    headline = (f"The model gives the right {wording.target} for {pct(accuracy)} of {wording.entity}; always "
                f"answering the most common one ('{wording.label(classes[common])}') would be right for "
                f"{pct(baseline)}.")
    top2 = float(np.mean([row in np.argsort(-p)[:2] for row, p in zip(y, proba, strict=True)]))
    points = [f"The right answer is among its top two guesses for {pct(top2)} of {wording.entity}.",
              f"Measured on {wording.count(len(y))} the model did not learn from."]
    return Summary(headline, points)


def regression_summary(validation: Validation, wording: Wording) -> Summary:
    y = np.asarray(validation.y, dtype=float)
    prediction = np.asarray(validation.prediction, dtype=float)
    error = np.abs(y - prediction)
    baseline = np.abs(y - np.mean(y))
    headline = (f"The model's predictions of {wording.target} are off by {_number(float(error.mean()))} on "
                f"average; always predicting the average would be off by {_number(float(baseline.mean()))}.")
    points = [f"Half of its predictions are within {_number(float(np.median(error)))} of the truth.",
              f"Measured on {wording.count(len(y))} the model did not learn from."]
    return Summary(headline, points)


def score_summary(best: dict[str, Any] | None, baseline: dict[str, Any] | None, metric: str,
                  wording: Wording, final: ModelRecord | None = None) -> Summary:
    """Tasks without a class or number to talk about: the score against the simplest model tried.

    The headline describes the model that was delivered (best/model.json: a blend
    is named as one, with its own validation score), not the best single trial.
    """
    from automl.report.words import blend_phrase

    named = wording.metric or metric
    if final is not None and final.validation_score is not None:
        headline = (f"The final model, {blend_phrase(final, apposition=True)}, has a validation {named} of "
                    f"{float(final.validation_score):.4g}")
    elif best is not None:
        headline = f"The best model, {best['model']}, has a validation {named} of {best['score']:.4g}"
    else:
        return Summary("No model finished, so there is nothing to report yet.")
    if baseline is not None and baseline is not best:
        headline += f"; the simplest baseline ({baseline['model']}) scores {baseline['score']:.4g}"
    return Summary(headline + ".")


def confidence_sentence(fold_scores: list[float], interval: Interval | None, metric: str) -> str | None:
    """The interval, printed around the score it was resampled from, then the spread over the folds.

    The score is stated with the interval (and not only in the headline, which
    may be a trial's score or a blend's) so the reader sees both computed on the
    same rows; an interval stretched to reach its score says so.
    """
    parts = []
    if interval is not None:
        text = (f"the validation {metric} on these {interval.n:,} {interval.unit} is {interval.estimate:.4g}, with a "
                f"90% bootstrap interval ({interval.unit} resampled) of {interval.low:.4g} to {interval.high:.4g}")
        if interval.widened:
            side = "below" if interval.estimate == interval.high else "above"
            text += (f" (stretched to reach {interval.estimate:.4g}: most resampled scores fell {side} it, so the "
                     f"{metric} is biased on resamples this small or this skewed)")
        parts.append(text)
    if len(fold_scores) > 1:
        parts.append(f"across the {len(fold_scores)} validation folds the {metric} ranged from "
                     f"{min(fold_scores):.4g} to {max(fold_scores):.4g}")
    if not parts:
        return None
    text = "; ".join(parts)
    return f"How sure we are: {text}."


def _number(value: float) -> str:
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
