"""Model quality on real data, per task: a short search must reach a level measured beforehand, with a margin,
far above chance and above the simple baselines a user would try first.

The data are the shared sets beside the repository (``../shared/data``, never copied in); a test skips with the
path when its set is absent. Thresholds and what they were set from are in docs/BENCHMARKS.md ("Quality tests").
"""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, roc_auc_score

from automl import AutoML
from automl.data import read_table

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


def shared(*parts: str) -> Path:
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"the shared data set is not at {path}")
    return path


def _scores(run) -> tuple[float, dict[str, float]]:  # noqa: ANN001 - an automl.api.Run
    """The delivered model's validation score, and each model family's best trial score."""
    better = max if run.manifest["direction"] == "maximize" else min
    rows = [r for r in run.leaderboard_rows() if r["status"] == "COMPLETE" and r["score"] is not None]
    families: dict[str, float] = {}
    for row in rows:
        if row["trial"] is not None:
            families[row["model"]] = better(families.get(row["model"], row["score"]), row["score"])
    return next(float(r["score"]) for r in rows if r.get("selected")), families


def test_tabular_census_income_reaches_auc_0_90_on_held_out_rows(tmp_path: Path) -> None:
    train = read_table(shared("adult", "train.csv")).sample(3000, random_state=0)
    test = read_table(shared("adult", "test.csv")).sample(2000, random_state=0)
    run = AutoML(task="tabular", trials=3, time_budget=90, run_dir=tmp_path / "run",
                 models=["lightgbm", "linear"]).fit(train, target="income")
    predicted = run.predict(test.drop(columns=["income"]))
    positive = [c for c in predicted.columns if c.startswith("proba_") and ">50K" in c]
    truth = test["income"].astype(str).str.strip().str.rstrip(".") == ">50K"
    auc = roc_auc_score(truth, predicted[positive[0]])
    assert auc >= 0.90, f"held-out AUC {auc:.3f}"


def test_text_sms_spam_reaches_f1_0_94_on_held_out_messages(tmp_path: Path) -> None:
    messages = read_table(shared("sms_spam", "sms_spam.tsv")).sample(frac=1.0, random_state=0)
    train, test = messages.iloc[:1000], messages.iloc[1000:2000]
    run = AutoML(task="text", trials=3, time_budget=90, run_dir=tmp_path / "run",
                 models=["tfidf_logreg", "tfidf_svm"]).fit(train, target="Label")
    predicted = run.predict(test.drop(columns=["Label"]))
    f1 = f1_score(test["Label"] == "spam", predicted["prediction"] == "spam")
    assert f1 >= 0.94, f"held-out spam F1 {f1:.3f}"


def _mnist(count: int) -> tuple[np.ndarray, np.ndarray]:
    with gzip.open(shared("mnist_10k", "t10k-images-idx3-ubyte.gz")) as f:
        images = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 28, 28)[:count]
    with gzip.open(shared("mnist_10k", "t10k-labels-idx1-ubyte.gz")) as f:
        labels = np.frombuffer(f.read(), np.uint8, offset=8)[:count]
    return images, labels


def test_image_300_mnist_digits_reach_accuracy_0_80_on_held_out_digits(tmp_path: Path) -> None:
    pil = pytest.importorskip("PIL.Image")
    pytest.importorskip("torch")
    images, labels = _mnist(300)
    for split, rows in (("train", range(240)), ("test", range(240, 300))):
        for i in rows:
            folder = tmp_path / split / str(labels[i])
            folder.mkdir(parents=True, exist_ok=True)
            pil.fromarray(images[i]).save(folder / f"{i}.png")
    run = AutoML(task="image", trials=3, time_budget=120, run_dir=tmp_path / "run").fit(tmp_path / "train")
    predicted = run.predict(tmp_path / "test")
    truth = predicted["path"].map(lambda p: Path(p).parent.name)
    accuracy = float((predicted["prediction"].astype(str) == truth).mean())
    assert len(predicted) == 60 and accuracy >= 0.80, f"held-out accuracy {accuracy:.3f}"


def test_recommend_movielens_beats_popularity(tmp_path: Path) -> None:
    ratings = pd.read_csv(shared("movielens_small", "ratings.csv"))
    ratings = ratings[ratings["userId"] <= 300]
    run = AutoML(task="recommend", trials=6, time_budget=120, run_dir=tmp_path / "run",
                 models=["popularity", "itemknn", "ease"]).fit(ratings)
    final, families = _scores(run)
    assert final >= 1.5 * families["popularity"], (final, families)


def test_forecast_airline_beats_seasonal_naive_with_honest_intervals(tmp_path: Path) -> None:
    pytest.importorskip("statsforecast")
    run = AutoML(task="forecast", trials=12, time_budget=120, run_dir=tmp_path / "run",
                 options={"horizon": 12}).fit(shared("forecast", "airline-passengers.csv"), target="Passengers")
    rows = [r for r in run.leaderboard_rows() if r["status"] == "COMPLETE"]
    naive = min(r["score"] for r in rows if r["model"] == "seasonal_naive")
    final = next(r for r in rows if r.get("selected"))
    assert run.manifest["metric"] == "mase" and final["score"] <= 0.7 * naive, (final["score"], naive)
    coverage = final["metrics"].get("coverage_80")
    assert coverage is not None and 0.60 <= coverage <= 0.95, final["metrics"]
