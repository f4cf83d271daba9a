"""The forecast task end to end through the CLI, as the issue's user runs it."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from automl_plugins.forecast.sample import sales_frame


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    path = tmp_path / "sales.csv"
    sales_frame(n_series=3, n_months=48, seed=1).to_csv(path, index=False)
    return path


def test_auto_picks_forecast_with_a_horizon_and_predict_needs_no_file(cli, sales_csv: Path, tmp_path: Path) -> None:  # noqa: ANN001
    fit = cli("fit", sales_csv, "--target", "units", "--horizon", "6", "--trials", "8", "--time-budget", "120",
              "--run-dir", "runs/sales", "--quiet", cwd=tmp_path)
    assert fit.returncode == 0, fit
    assert "forecast task, series, metric mase" in fit.stderr, fit
    model = json.loads((tmp_path / "runs" / "sales" / "best" / "model.json").read_text())
    families = [member["model"] for member in model["members"]]
    assert len(families) >= 2 and len(set(families)) == len(families) and "seasonal_naive" not in families, model
    assert {round(member["weight"], 6) for member in model["members"]} == {round(1 / len(families), 6)}
    saved = {p.name for p in (tmp_path / "runs" / "sales" / "best").rglob("*") if p.is_file()}
    assert "forecast.npz" in saved and not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in saved)
    out = tmp_path / "forecast.csv"
    predicted = cli("predict", "runs/sales", "--out", out, cwd=tmp_path)
    assert predicted.returncode == 0, predicted
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["store", "month", "prediction", "lo_80", "hi_80", "lo_95", "hi_95"]
    assert len(frame) == 18 and frame["store"].value_counts().to_dict() == {f"store_{i}": 6 for i in (1, 2, 3)}
    assert frame["month"].iloc[0] == "2023-01-01", "the first forecast is the month after the last training month"
    history = cli("predict", "runs/sales", sales_csv, "--out", tmp_path / "again.csv", cwd=tmp_path)
    assert history.returncode == 0, history
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "again.csv"), frame)
    wanted = tmp_path / "wanted.csv"
    pd.DataFrame({"store": ["store_2"], "month": ["2024-05-01"]}).to_csv(wanted, index=False)
    too_far = cli("predict", "runs/sales", wanted, cwd=tmp_path)
    assert too_far.returncode == 2 and "forecasts the 6 periods after the training data" in too_far.stderr
    assert "Traceback" not in too_far.stderr


def test_duplicate_timestamps_are_one_line(cli, user_error, tmp_path: Path) -> None:  # noqa: ANN001
    path = tmp_path / "dup.csv"
    frame = pd.DataFrame({"date": pd.date_range("2024-01-01", periods=40, freq="D").strftime("%Y-%m-%d"),
                          "visits": range(40)})
    pd.concat([frame, frame.iloc[[7]]]).to_csv(path, index=False)
    result = cli("fit", path, "--task", "forecast", "--horizon", "7", "--quiet", cwd=tmp_path)
    user_error(result, "duplicate timestamps in column 'date'", "2024-01-08")
