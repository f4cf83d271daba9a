"""The recommend task end to end through the CLI, as the issue's user runs it (the built-in plugin's entry
point registers it for the ``automl`` command)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd


def test_fit_then_predict_top_k_lists(cli, planted_csv: Path, tmp_path: Path) -> None:  # noqa: ANN001
    fit = cli("fit", planted_csv, "--task", "recommend", "--trials", "3", "--time-budget", "120", "--run-dir",
              "runs/recs", "--quiet", cwd=tmp_path)
    assert fit.returncode == 0, fit
    assert "recommend task, interactions, metric ndcg" in fit.stderr, fit
    saved = {p.name for p in (tmp_path / "runs" / "recs" / "best").rglob("*") if p.is_file()}
    assert "arrays.npz" in saved and not any(name.endswith((".pkl", ".pickle", ".joblib")) for name in saved)
    users = tmp_path / "users.csv"
    pd.DataFrame({"user_id": ["u0003", "nobody"]}).to_csv(users, index=False)
    out = tmp_path / "recs.csv"
    predicted = cli("predict", "runs/recs", users, "--out", out, cwd=tmp_path)
    assert predicted.returncode == 0, predicted
    frame = pd.read_csv(out)
    assert list(frame.columns) == ["user", "rank", "item", "score", "fallback"]
    assert len(frame) == 20 and frame.groupby("user")["fallback"].all().to_dict() == {"nobody": True, "u0003": False}


def test_a_non_numeric_rating_is_one_line(cli, user_error, tmp_path: Path) -> None:  # noqa: ANN001
    data = tmp_path / "ratings.csv"
    data.write_text("userId,movieId,rating\n1,10,4\n1,11,five\n2,10,3\n2,12,1\n")
    result = cli("fit", data, "--task", "recommend", "--run-dir", "runs/bad", cwd=tmp_path)
    user_error(result, "'rating'", "numeric ratings", "'five'")
