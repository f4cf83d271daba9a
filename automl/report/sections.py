"""Pieces the task plugins' report sections share: the final model's class predictions, the training data read
again, and the wording of their notes and mistakes.

A section that shows examples (texts, images, series, users) pairs the final
model's out-of-fold predictions (``best/validation.npz``) with the rows of the
training data, read again through the task's own loader: :func:`training_source`
says where that data is and how the fit read it (or why it cannot be read as it
was), and :func:`class_predictions` gives a classifier's predictions as class
probabilities with the rows they belong to.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from automl.report.document import Heading, Paragraph


def saved_schema(run: Any) -> dict[str, Any]:
    """The run's schema (``best/schema.json``), empty when it cannot be read."""
    try:
        return run.schema()
    except (OSError, ValueError):
        return {}


def training_source(run: Any, schema: dict[str, Any]) -> tuple[str, dict[str, Any]] | str:
    """The run's training data file and the task options to read it again as the fit did (the target as the
    schema names it, else as the run was given it); why it cannot be read as it was, when it is gone or changed.

    The caller adds the columns its schema recorded (a text column, a date column...) to the options.
    """
    from automl.evidence.validation import training_data_problem

    record = run.record
    problem = training_data_problem(record)
    if problem:
        return problem
    options = {**record.task_options, "target": schema.get("target") or record.target}
    return str(record.data.path), options


def as_class_probabilities(prediction: np.ndarray, n_classes: int) -> np.ndarray | None:
    """A classifier's saved predictions as one probability column per class (a binary model saves the positive
    class's alone); None when they are not class probabilities."""
    prediction = np.asarray(prediction, dtype=float)
    if prediction.ndim == 1 and n_classes == 2:
        return np.column_stack([1 - prediction, prediction])
    if prediction.ndim == 2 and prediction.shape[1] == n_classes:
        return prediction
    return None


@dataclass(frozen=True)
class ClassPredictions:
    """The final model's out-of-fold class probabilities for the validation rows.

    ``index`` holds the rows' positions in the training data, ``y`` their actual class codes (positions in
    ``classes``).
    """

    classes: list[str]
    proba: np.ndarray
    index: np.ndarray
    y: np.ndarray

    def __len__(self) -> int:
        return len(self.y)

    @property
    def predicted(self) -> np.ndarray:
        """The most probable class code of each row."""
        return self.proba.argmax(axis=1)

    @property
    def n_wrong(self) -> int:
        return int((self.predicted != self.y).sum())

    def fits(self, n_rows: int) -> bool:
        """Whether every row position is inside training data of ``n_rows`` rows."""
        return bool(self.index.max(initial=-1) < n_rows)

    def mistakes(self, limit: int) -> list[int]:
        """The rows (positions in these predictions) the model got wrong, the most confident mistakes first."""
        predicted = self.predicted
        wrong = np.flatnonzero(predicted != self.y)
        return [int(i) for i in wrong[np.argsort(-self.proba[wrong, predicted[wrong]], kind="stable")][:limit]]


def class_predictions(run: Any) -> ClassPredictions | None:
    """The final model's validation predictions as class probabilities, with its classes as text; None when they
    were not saved or are not class probabilities."""
    from automl.evidence.validation import load_validation

    validation = load_validation(run.dir.best)
    classes = [str(c) for c in (run.model_record().classes or saved_schema(run).get("classes") or [])]
    proba = None if validation is None else as_class_probabilities(validation.prediction, len(classes))
    if validation is None or proba is None:
        return None
    return ClassPredictions(classes, proba, np.asarray(validation.index, dtype=int),
                            np.asarray(validation.y).astype(int))


def mistakes_heading(units: str, n_wrong: int, n_valid: int, shown: int) -> tuple[Heading, Paragraph]:
    """The heading and first line of a "Misclassified texts" (images...) part: how many of the validation
    ``units`` the final model got wrong, and how many of them are listed below."""
    intro = f"The final model got {n_wrong} of {n_valid} validation {units} wrong" + _listed(shown, n_wrong)
    return Heading(f"Misclassified {units}"), Paragraph(intro)


def _listed(shown: int, wrong: int) -> str:
    if not shown:
        return "."
    if shown == wrong:
        return " (below, the most confident mistake first)."
    return f"; below, the {shown} it was most confident about."
