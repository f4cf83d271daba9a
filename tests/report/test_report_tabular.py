"""The tabular report on data whose answer is known: the summary, the evidence, the explanations and fairness."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl.api import Run
from automl.report.evidence import load_validation
from automl_plugins.tabular import explain


def signal_and_noise(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """``signal`` decides the label, ``noise`` is unrelated, and the labels of region 'scrambled' are random."""
    rng = np.random.default_rng(seed)
    signal = rng.normal(size=n)
    region = rng.choice(["north", "south", "scrambled"], size=n)
    label = (signal + 0.3 * rng.normal(size=n) > 0.6).astype(int)
    scrambled = region == "scrambled"
    label[scrambled] = rng.permutation(label[scrambled])
    return pd.DataFrame({"signal": signal, "noise": rng.normal(size=n), "region": region,
                         "left": np.where(label == 1, "yes", "no")})


@pytest.fixture(scope="module")
def binary_run(tmp_path_factory, cli) -> Path:
    folder = tmp_path_factory.mktemp("tabular_report")
    signal_and_noise().to_csv(folder / "customers.csv", index=False)
    result = cli("fit", "customers.csv", "--target", "left", "--trials", "6", "--time-budget", "60",
                 "--models", "lightgbm,linear", "--run-dir", "run", "--quiet", cwd=folder)
    assert result.returncode == 0, result
    return folder / "run"


def test_summary_speaks_in_cases_found_against_random(binary_run: Path) -> None:
    markdown = (binary_run / "report.md").read_text()
    headline = next(line for line in markdown.splitlines() if line.startswith("**Of the "))
    found, random = (int(part.split("%")[0].split()[-1]) for part in headline.split("flags")[1].split("would find"))
    assert found > random + 20, headline  # a useful model finds far more than random flagging
    assert "How sure we are" in markdown and "bootstrap interval" in markdown


def test_fold_models_reproduce_the_saved_validation_predictions(binary_run: Path) -> None:
    run = Run.load(binary_run)
    validation = load_validation(run.dir.best)
    assert validation is not None and len(validation) == 600
    rows = explain.sample_rows(validation, 0)
    features = explain.training_features(run.record, run.schema())
    X = features.iloc[validation.index[rows]].reset_index(drop=True)
    predicted = explain.FoldPredictor(run, validation, rows).predict(X)
    np.testing.assert_allclose(predicted, validation.prediction[rows], atol=1e-9)


def test_explanations_rank_the_signal_first_and_noise_near_zero(binary_run: Path) -> None:
    html = (binary_run / "report.html").read_text()
    for chart in ("permutation_importance", "shap", "confusion_matrix", "roc_curve", "pr_curve", "calibration",
                  "optimization_history", "family_comparison"):
        assert f'data-chart="{chart}"' in html, chart
    table = (binary_run / "report.md").read_text().split("| column | drop in roc_auc |")[1]
    rows = [line.split("|")[1:4] for line in table.splitlines()[2:] if line.startswith("| ")]
    importance = {name.strip(): float(drop) for name, drop, _ in rows}
    assert list(importance)[0] == "signal"
    assert importance["signal"] > 0.1 and abs(importance["noise"]) < 0.03, importance


def test_slice_by_flags_the_group_with_random_labels(binary_run: Path, cli) -> None:
    out = binary_run.parent / "fair.html"  # --out is never inside a run folder
    result = cli("report", binary_run, "--out", out, "--slice-by", "region", cwd=binary_run.parent)
    assert result.returncode == 0, result
    markdown = out.with_suffix(".md").read_text()
    section = markdown.split("## Fairness: roc_auc by region")[1].split("## ")[0]
    flagged = [line for line in section.splitlines() if "points below overall" in line]
    assert len(flagged) == 1 and flagged[0].startswith("| scrambled |"), section
    assert 'data-chart="fairness"' in out.read_text()


def test_slice_by_unknown_column_names_it_and_the_columns(binary_run: Path, cli, user_error) -> None:
    result = cli("report", binary_run, "--slice-by", "regoin", "--out", binary_run.parent / "x.html",
                 cwd=binary_run.parent)
    user_error(result, "'regoin'", "region, left")


def test_regression_report_compares_errors_with_predicting_the_average(tmp_path: Path, cli) -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    pd.DataFrame({"x": x, "z": rng.normal(size=300), "price": 10 * x + rng.normal(size=300)}).to_csv(
        tmp_path / "prices.csv", index=False)
    result = cli("fit", "prices.csv", "--target", "price", "--trials", "3", "--models", "linear",
                 "--run-dir", "run", "--quiet", cwd=tmp_path)
    assert result.returncode == 0, result
    markdown = (tmp_path / "run" / "report.md").read_text()
    headline = next(line for line in markdown.splitlines() if "off by" in line)
    model_error, average_error = (float(part.split("off by ")[1].split()[0].rstrip(";.*")) for part in
                                  headline.split("; always"))
    assert model_error < average_error / 5, headline
    html = (tmp_path / "run" / "report.html").read_text()
    assert 'data-chart="residuals"' in html and 'data-chart="actual_vs_predicted"' in html


def test_report_without_matplotlib_keeps_text_and_says_what_to_install(binary_run: Path, monkeypatch) -> None:
    from automl.report import charts

    monkeypatch.setattr(charts, "available", lambda: False)
    html = Run.load(binary_run).report(binary_run / "plain.html").read_text()
    assert "pip install &#39;automl[report]&#39;" in html
    assert 'id="summary"' in html and 'id="leaderboard"' in html and "<svg" not in html
