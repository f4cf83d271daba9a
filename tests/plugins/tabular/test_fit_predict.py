"""End to end through the Python API: fit, predict, reload, and the leaderboard's output contract."""

from __future__ import annotations

import io
import json
import re

import numpy as np
import pandas as pd
import pytest
from optuna.trial import TrialState
from sklearn.metrics import roc_auc_score

from automl import AutoML, Run
from automl_plugins.tabular.demo import churn_frame

LEADERBOARD_KEYS = {
    "rank", "trial", "model", "status", "score", "metric", "fit_seconds", "predict_ms_per_1k", "size_bytes", "params",
}


def automl(run_dir, models=("linear",), trials=4) -> AutoML:
    return AutoML(time_budget=30, trials=trials, run_dir=run_dir, quiet=True, models=list(models), seed=0)


# -- binary: the churn demo ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def churn(tmp_path_factory):
    """A run on 600 customers from a CSV file, and 400 other customers to score."""
    folder = tmp_path_factory.mktemp("churn")
    churn_frame(600, seed=0).to_csv(folder / "customers.csv", index=False)
    run = automl(folder / "run", models=("linear", "lightgbm"), trials=6).fit(
        folder / "customers.csv", target="churned"
    )
    test = churn_frame(400, seed=1)
    return run, test.drop(columns=["churned"]), test["churned"]


def test_churn_model_beats_chance(churn):
    run, X_test, y_test = churn
    board = run.leaderboard()
    assert board.loc[0, "rank"] == 1 and board.loc[0, "metric"] == "roc_auc"
    assert board.loc[0, "score"] > 0.6
    predictions = run.predict(X_test)
    assert roc_auc_score(y_test == "yes", predictions["proba_yes"]) > 0.65


def test_churn_prediction_format(churn):
    run, X_test, _ = churn
    predictions = run.predict(X_test)
    assert list(predictions.columns) == ["customer_id", "prediction", "proba_no", "proba_yes"]
    assert len(predictions) == len(X_test)
    assert predictions["customer_id"].tolist() == X_test["customer_id"].tolist()
    probabilities = predictions[["proba_no", "proba_yes"]].to_numpy()
    assert ((probabilities >= 0) & (probabilities <= 1)).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)
    expected = np.where(predictions["proba_yes"] > predictions["proba_no"], "yes", "no")
    assert predictions["prediction"].tolist() == expected.tolist()


def test_reloaded_run_predicts_the_same(churn):
    run, X_test, _ = churn
    before = run.predict(X_test)
    after = Run.load(run.path).predict(X_test)
    pd.testing.assert_frame_equal(before, after)


def test_predict_from_a_csv_file_equals_predict_from_a_frame(churn, tmp_path):
    run, X_test, _ = churn
    X_test.to_csv(tmp_path / "new.csv", index=False)
    pd.testing.assert_frame_equal(run.predict(tmp_path / "new.csv"), run.predict(X_test), check_dtype=False)


def test_unseen_values_at_predict_time(churn):
    run, X_test, _ = churn
    odd = X_test.head(5).copy()
    odd["plan"] = ["platinum", "basic", None, "basic", "?"]
    odd["autopay"] = ["maybe", "yes", "no", None, "yes"]
    predictions = run.predict(odd)
    probabilities = predictions[["proba_no", "proba_yes"]].to_numpy()
    assert np.isfinite(probabilities).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, atol=1e-6)


# -- the leaderboard contract ---------------------------------------------------------------------
@pytest.fixture(scope="module")
def board_json(churn, cli):
    run = churn[0]
    result = cli("leaderboard", run.path, "--format", "json", cwd=run.path.parent)
    assert result.returncode == 0, result
    return json.loads(result.stdout)


def test_leaderboard_json_contract(churn, board_json):
    run = churn[0]
    assert isinstance(board_json, list) and board_json
    for row in board_json:
        assert set(row) >= LEADERBOARD_KEYS, row
        assert isinstance(row["params"], dict)
        assert row["metric"] == "roc_auc"
        assert row["model"] in {"linear", "lightgbm", "ensemble"}
    assert [row["rank"] for row in board_json] == list(range(1, len(board_json) + 1))
    scores = [row["score"] for row in board_json if row["score"] is not None]
    assert scores == sorted(scores, reverse=True), "best first (roc_auc is maximised)"
    assert all(row["score"] is None for row in board_json[len(scores):]), "unscored trials come last"
    complete = [row for row in board_json if row["status"] == "COMPLETE" and row["trial"] is not None]
    for row in complete:
        assert row["fit_seconds"] > 0 and row["size_bytes"] > 0 and row["predict_ms_per_1k"] > 0

    trials = [t for t in run.study().trials if t.state != TrialState.WAITING]
    trial_rows = [row for row in board_json if row["trial"] is not None]
    assert len(trial_rows) == len(trials)
    assert sorted(row["trial"] for row in trial_rows) == sorted(t.number for t in trials)
    assert 2 <= len(trials) <= 6, "the --trials budget is 6"
    by_number = {t.number: t for t in trials}
    for row in trial_rows:
        trial = by_number[row["trial"]]
        assert row["status"] == trial.state.name
        if trial.state == TrialState.COMPLETE:
            assert row["score"] == pytest.approx(trial.value)


def test_leaderboard_frame_matches_the_json(churn, board_json):
    frame = churn[0].leaderboard()
    assert set(frame.columns) >= LEADERBOARD_KEYS
    assert frame["rank"].tolist() == list(range(1, len(frame) + 1))
    assert frame["model"].tolist() == [row["model"] for row in board_json]
    assert frame["trial"].astype("Float64").tolist() == [
        pd.NA if row["trial"] is None else float(row["trial"]) for row in board_json
    ]


def test_leaderboard_csv_and_markdown_list_the_same_models(churn, board_json, cli):
    run = churn[0]
    models = [row["model"] for row in board_json]

    csv = cli("leaderboard", run.path, "--format", "csv", cwd=run.path.parent)
    assert csv.returncode == 0, csv
    parsed = pd.read_csv(io.StringIO(csv.stdout))
    assert parsed["model"].tolist() == models
    assert parsed["rank"].tolist() == [row["rank"] for row in board_json]

    md = cli("leaderboard", run.path, "--format", "md", cwd=run.path.parent)
    assert md.returncode == 0, md
    lines = [line for line in md.stdout.splitlines() if line.startswith("|")]
    header = _md_cells(lines[0])
    assert set(lines[1]) <= set("|-: ")
    rows = [_md_cells(line) for line in lines[2:]]
    assert all(len(cells) == len(header) for cells in rows)
    assert [cells[header.index("model")] for cells in rows] == models


def _md_cells(line: str) -> list[str]:
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip())[1:-1]]


# -- regression and multiclass --------------------------------------------------------------------
def _linear_data(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    return pd.DataFrame({"x1": x1, "x2": x2, "y": 3 * x1 - 2 * x2 + rng.normal(0, 0.5, size=n)})


def test_regression_beats_the_mean(tmp_path):
    run = automl(tmp_path / "run", trials=3).fit(_linear_data(300, 0), target="y")
    assert run.manifest["kind"] == "regression" and run.manifest["metric"] == "rmse"
    test = _linear_data(200, 1)
    predictions = run.predict(test.drop(columns=["y"]))
    assert list(predictions.columns) == ["prediction"]
    rmse = float(np.sqrt(np.mean((predictions["prediction"].to_numpy() - test["y"].to_numpy()) ** 2)))
    assert rmse < 0.5 * test["y"].std()


def test_multiclass_has_a_probability_for_every_class(tmp_path):
    rng = np.random.default_rng(0)
    score = rng.normal(size=300)
    frame = pd.DataFrame({
        "score": score,
        "noise": rng.normal(size=300),
        "segment": np.select([score < -0.4, score < 0.4], ["low", "mid"], "high"),
    })
    run = automl(tmp_path / "run", trials=3).fit(frame, target="segment")
    assert run.manifest["kind"] == "multiclass"
    predictions = run.predict(pd.DataFrame({"score": [-2.0, 0.0, 2.0], "noise": [0.0, 0.0, 0.0]}))
    assert list(predictions.columns) == ["prediction", "proba_high", "proba_low", "proba_mid"]
    np.testing.assert_allclose(predictions.filter(like="proba_").sum(axis=1), 1.0, atol=1e-6)
    assert predictions["prediction"].tolist() == ["low", "mid", "high"]


def test_lightgbm_trains_small_data_on_one_thread():
    """OpenMP threads spin-waiting on a busy machine made 2-thread fits of 500 rows ~100x slower."""
    from automl import SearchContext
    from automl_plugins.tabular.metrics import METRICS
    from automl_plugins.tabular.models.lightgbm import LIGHTGBM

    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    y = (X["a"] + rng.normal(size=400) > 0).to_numpy(dtype=int)
    roc_auc = next(m for m in METRICS if m.name == "roc_auc")
    ctx = SearchContext(task="tabular", kind="binary", metric=roc_auc, n_threads=4, classes=[0, 1])
    model = LIGHTGBM.build(dict(LIGHTGBM.defaults), ctx).fit(X[:300], y[:300], X[300:], y[300:])
    assert model.booster.params["num_threads"] == 1
    assert roc_auc_score(y[300:], model.predict(X[300:])[:, 1]) > 0.7


def test_lightgbm_takes_column_names_with_json_characters(tmp_path):
    """LightGBM refuses quotes, colons and brackets in feature names; user files have them."""
    rng = np.random.default_rng(0)
    signal = rng.normal(size=300)
    frame = pd.DataFrame({'price "net": [EUR]': signal, "a,b{c}": rng.normal(size=300),
                          "label": np.where(signal > 0, "yes", "no")})
    run = automl(tmp_path / "run", trials=2, models=["lightgbm"]).fit(frame, target="label")
    states = [t.state for t in run.study().trials if t.state != TrialState.WAITING]  # queued beyond the budget
    assert states == [TrialState.COMPLETE, TrialState.COMPLETE]
    predictions = run.predict(frame.drop(columns=["label"]).head(50))
    assert (predictions["prediction"] == frame["label"].head(50)).mean() > 0.9
