"""The image task end to end through the CLI, as the issue's user runs it."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def test_fit_then_predict_a_folder(cli, shapes_with_bad_files: Path, tmp_path: Path) -> None:  # noqa: ANN001
    fit = cli("fit", shapes_with_bad_files, "--trials", "2", "--time-budget", "120", "--run-dir", "runs/shapes",
              "--quiet", cwd=tmp_path)
    assert fit.returncode == 0, fit
    assert "image task, multiclass, metric accuracy" in fit.stderr, fit
    assert "note: skipped 2 of 62 files" in fit.stderr, fit
    best = tmp_path / "runs" / "shapes" / "best"
    saved = {p.name for p in best.rglob("*") if p.is_file()}
    assert "weights.safetensors" in saved and "network.json" in saved
    assert not any(name.endswith((".pkl", ".pickle", ".joblib", ".pt")) for name in saved)
    report = (tmp_path / "runs" / "shapes" / "report.md").read_text()
    assert "Inference speed" in report and "images/s" in report
    out = tmp_path / "predictions.csv"
    predicted = cli("predict", "runs/shapes", shapes_with_bad_files / "square", "--out", out, cwd=tmp_path)
    assert predicted.returncode == 0, predicted
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["path", "prediction", "proba_circle", "proba_square", "proba_triangle"]
    assert len(frame) == 20 and frame["prediction"].notna().all()


def test_csv_with_a_path_outside_its_folder_is_a_user_error(cli, user_error, shapes: Path,  # noqa: ANN001
                                                            tmp_path: Path) -> None:
    csv = shapes / "labels.csv"
    csv.write_text("image,label\ncircle/000.png,circle\n../secret.png,square\n")
    (tmp_path / "secret.png").write_bytes(b"")
    result = cli("fit", csv, "--task", "image", "--run-dir", "runs/bad", cwd=tmp_path)
    user_error(result, "'../secret.png'", "leaves the CSV's folder")
