"""Each forecaster on a series with a trend and a season: better than seasonal naive, honest intervals."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from automl import MetricSpec
from automl.catalog import build_catalog
from automl.specs import SearchContext
from automl_plugins.forecast.metrics import coverage_80, mase
from automl_plugins.forecast.task import load, split


@pytest.fixture(scope="module")
def trend_and_season(tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    rng = np.random.default_rng(3)
    t = np.arange(96)
    values = 100 + 1.5 * t + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, len(t))
    frame = pd.DataFrame({"month": pd.date_range("2015-01-01", periods=96, freq="MS").strftime("%Y-%m"),
                          "sales": values})
    path = tmp_path_factory.mktemp("series") / "sales.csv"
    frame.to_csv(path, index=False)
    return load(path, {"horizon": 12})


def scores(dataset, key: str) -> tuple[float, float]:  # noqa: ANN001
    catalog = build_catalog()
    spec = catalog.model("forecast", key)
    metric = MetricSpec("mase", mase, "minimize")
    ctx = SearchContext(task="forecast", kind="series", metric=metric, info=dataset.info)
    predictions, truths = [], []
    for train, valid in split(dataset, 0):
        X, y = dataset.X, dataset.y
        model = spec.build(dict(spec.defaults), ctx).fit(X.iloc[train], y[train], X.iloc[valid], y[valid])
        predictions.append(model.predict(X.iloc[valid]))
        truths.append(y[valid])
    return mase(np.vstack(truths), np.vstack(predictions)), coverage_80(np.vstack(truths), np.vstack(predictions))


@pytest.mark.parametrize("key", ["lightgbm", "ets", "theta", "arima"])
def test_tuned_families_beat_seasonal_naive(trend_and_season, key: str) -> None:  # noqa: ANN001
    naive, _ = scores(trend_and_season, "seasonal_naive")
    score, coverage = scores(trend_and_season, key)
    assert score < 0.8 * naive, f"{key}: MASE {score:.3f} against seasonal naive {naive:.3f}"
    assert 0.4 <= coverage <= 1.0, f"{key}: the 80% interval covers {coverage:.0%} of the backtest"


def test_a_saved_forecaster_predicts_the_same(trend_and_season, tmp_path: Path) -> None:  # noqa: ANN001
    catalog = build_catalog()
    spec = catalog.model("forecast", "lightgbm")
    ctx = SearchContext(task="forecast", kind="series", metric=None, info=trend_and_season.info)  # type: ignore[arg-type]
    model = spec.build(dict(spec.defaults), ctx).fit(trend_and_season.X, trend_and_season.y)
    future = pd.DataFrame({"series": 0, "t": trend_and_season.X["t"].max() + np.arange(1, 13)})
    spec.save(model, tmp_path)
    np.testing.assert_array_equal(model.predict(future), spec.load(tmp_path).predict(future))
    assert np.isfinite(model.predict(future)).all()
