"""The pieces the plugins' report sections share (automl.report.sections, metric_words, note_section)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from automl.kit import (
    ClassPredictions,
    Heading,
    ModelRecord,
    Paragraph,
    RunRecord,
    class_predictions,
    classification_metric_glosses,
    classification_metric_names,
    mistakes_heading,
    note_section,
    saved_schema,
    training_source,
)


def _predictions(proba: list[list[float]], y: list[int], index: list[int] | None = None) -> ClassPredictions:
    index = list(range(len(y))) if index is None else index
    return ClassPredictions(["a", "b", "c"], np.asarray(proba), np.asarray(index), np.asarray(y))


def test_mistakes_are_the_most_confident_first() -> None:
    found = _predictions([[0.9, 0.05, 0.05], [0.2, 0.7, 0.1], [0.6, 0.3, 0.1], [0.1, 0.1, 0.8]], y=[0, 2, 1, 2])
    assert found.predicted.tolist() == [0, 1, 0, 2]
    assert (found.n_wrong, len(found)) == (2, 4)
    assert found.mistakes(5) == [1, 2] and found.mistakes(1) == [1]
    assert found.fits(4) and not found.fits(3)


def test_class_predictions_read_a_binary_models_positive_column(tmp_path: Path) -> None:
    np.savez_compressed(tmp_path / "validation.npz", y=np.array([0, 1, 1]), prediction=np.array([0.2, 0.9, 0.4]),
                        index=np.array([5, 6, 7]), fold=np.zeros(3))
    run = SimpleNamespace(dir=SimpleNamespace(best=tmp_path), model_record=lambda: ModelRecord(classes=[0, 1]),
                          schema=lambda: {})
    found = class_predictions(run)
    assert found is not None and found.classes == ["0", "1"] and found.index.tolist() == [5, 6, 7]
    assert np.allclose(found.proba[:, 1], [0.2, 0.9, 0.4]) and found.n_wrong == 1
    three = SimpleNamespace(**{**vars(run), "model_record": lambda: ModelRecord(classes=["a", "b", "c"])})
    assert class_predictions(three) is None, "one column is not the probabilities of three classes"


def test_training_source_reads_the_data_again_as_the_fit_did(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("x,y\n1,2\n")
    record = RunRecord.from_json({"data": {"path": str(data)}, "task_options": {"text_column": "x"},
                                  "target": "given"})
    run = SimpleNamespace(record=record)
    assert training_source(run, {}) == (str(data), {"text_column": "x", "target": "given"})
    assert training_source(run, {"target": "y"}) == (str(data), {"text_column": "x", "target": "y"})
    data.unlink()
    assert training_source(run, {}) == f"the training data {data} is gone"


def test_saved_schema_is_empty_when_unreadable() -> None:
    def missing() -> dict:
        raise FileNotFoundError("schema.json")

    assert saved_schema(SimpleNamespace(schema=missing)) == {}
    assert saved_schema(SimpleNamespace(schema=lambda: {"k": 1})) == {"k": 1}


@pytest.mark.parametrize(("shown", "wrong", "ending"), [
    (0, 0, "wrong."), (2, 2, "wrong (below, the most confident mistake first)."),
    (6, 9, "wrong; below, the 6 it was most confident about."),
])
def test_mistakes_heading(shown: int, wrong: int, ending: str) -> None:
    heading, paragraph = mistakes_heading("texts", wrong, 40, shown)
    intro = f"The final model got {wrong} of 40 validation texts " + ending
    assert heading == Heading("Misclassified texts")
    assert paragraph == Paragraph(intro)


def test_note_section_is_one_escaped_note() -> None:
    note = note_section("T", "a <b>")
    assert note.title == "T"
    assert note.html() == "<p class='note'>a &lt;b&gt;</p>"
    assert note.markdown() == "a \\<b>"


def test_classification_metric_words_speak_of_the_tasks_unit() -> None:
    names = classification_metric_names(units="messages")
    glosses = classification_metric_glosses(unit="message", units="messages")
    assert set(names) == set(glosses) == {"roc_auc", "log_loss", "accuracy", "balanced_accuracy", "f1", "f1_macro",
                                          "precision", "recall"}
    assert names["accuracy"] == "share of messages right (accuracy)"
    assert "a random positive message above" in glosses["roc_auc"]
    assert list(classification_metric_names("f1", "roc_auc", units="images")) == ["f1", "roc_auc"]
