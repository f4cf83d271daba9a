"""The kit's shared model helpers: the versioned model file, class probabilities, the epoch loop."""

from __future__ import annotations

import json

import numpy as np
import pytest

from automl.errors import UserError
from automl.training import EpochOutcome, class_probabilities, read_model_file, write_model_file


def test_a_model_file_is_written_with_its_format_first_and_read_back(tmp_path):
    path = tmp_path / "network.json"
    write_model_file(path, 1, {"params": {"a": 1}, "word": "é"}, ensure_ascii=False)
    assert path.read_text(encoding="utf-8") == json.dumps({"format": 1, "params": {"a": 1}, "word": "é"},
                                                          ensure_ascii=False) + "\n"
    assert read_model_file(path, 1) == {"format": 1, "params": {"a": 1}, "word": "é"}


@pytest.mark.parametrize(("text", "fragment"), [("{", "not JSON"), ("[1]", "has format None"),
                                                ('{"format": 2}', "has format 2; this automl reads format 1")])
def test_a_damaged_model_file_is_one_user_error(tmp_path, text, fragment):
    path = tmp_path / "network.json"
    path.write_text(text)
    with pytest.raises(UserError, match=fragment):
        read_model_file(path, 1)


def test_a_missing_file_beside_the_model_file_is_refused(tmp_path):
    path = tmp_path / "network.json"
    write_model_file(path, 1, {})
    with pytest.raises(UserError, match="model files are missing"):
        read_model_file(path, 1, tmp_path / "weights.safetensors")


def test_history_records_the_outcome():
    assert EpochOutcome(4, 2, "early stopping").history(1.23456) == {
        "epochs_run": 4, "best_epoch": 2, "stop_reason": "early stopping", "seconds": 1.235}


def test_class_probabilities_are_a_float64_softmax_placed_by_rows():
    torch = pytest.importorskip("torch")
    logits = torch.tensor([[0.0, 1.0], [2.0, 2.0], [5.0, -1.0]])
    proba = class_probabilities([([2, 0], logits[[2, 0]]), (slice(1, 2), logits[1:2])], 3, 2)
    assert proba.dtype == np.float64
    np.testing.assert_allclose(proba, torch.softmax(logits.double(), dim=1).numpy())
