"""automl-anomaly passes automl's conformance kit for tasks, and its detectors find planted anomalies."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from automl.kit import SearchContext, UserError
from automl.testing import TaskPluginTestCase
from automl.testing.checks import SampleSetup

import automl_anomaly
from automl_anomaly.metrics import METRICS
from automl_anomaly.models import MODELS, Calibration
from automl_anomaly.task import NAME, TASK, anomaly_frame


class TestConformance(TaskPluginTestCase):
    """The checks every task plugin passes: spec, preset, metrics' directions, a short real search, detection."""

    task = NAME
    plugin = automl_anomaly
    budget = 6.0

    def check_predictions(self, predictions: Any, sample: SampleSetup) -> None:
        """This task writes a score and a 0/1 flag per row (no ``prediction`` column), beside the row's id."""
        assert len(predictions) == sample.dataset.n_rows
        assert list(predictions.columns) == ["transaction_id", "anomaly_score", "flagged"]
        assert predictions["anomaly_score"].between(0, 1).all()
        assert set(predictions["flagged"]) <= {0, 1}


def _dataset(tmp_path: Path, **options: Any) -> Any:
    path = tmp_path / "data.csv"
    anomaly_frame(600, 0.02, seed=1).to_csv(path, index=False)
    return TASK.load(path, {"target": "is_anomaly", **options})


@pytest.mark.parametrize("spec", MODELS, ids=lambda spec: spec.key)
def test_every_detector_ranks_planted_anomalies_first(spec: Any, tmp_path: Path) -> None:
    """Average precision far above the anomalies' share (what a random scorer gets), and flags near the share."""
    dataset = _dataset(tmp_path, contamination=0.02)
    ctx = SearchContext(task=NAME, kind=dataset.kind, metric=METRICS[0], info=dataset.info)
    scores = []
    for train, valid in TASK.split(dataset, 0):
        model = spec.build(dict(spec.defaults), ctx).fit(dataset.X[train], dataset.y[train])
        scores.append(METRICS[0].fn(dataset.y[valid], model.predict(dataset.X[valid])))
    assert np.mean(scores) > 0.6 > 10 * dataset.info["anomaly_share"], np.round(scores, 3)
    flagged = spec.build(dict(spec.defaults), ctx).fit(dataset.X, dataset.y).predict(dataset.X) > 1 - 0.02
    assert abs(flagged.mean() - 0.02) <= 0.01


def test_calibration_keeps_the_order_and_maps_to_shares() -> None:
    reference = np.random.default_rng(0).exponential(size=500)
    calibrate = Calibration.of(reference)
    raw = np.linspace(-2.0, 20.0, 1000)
    shares = calibrate(raw)
    assert np.all(np.diff(shares) > 0) and shares.min() > 0 and shares.max() < 1
    assert abs((calibrate(reference) > 0.9).mean() - 0.1) < 0.01


def test_contamination_sets_the_share_flagged_at_predict_too(tmp_path: Path) -> None:
    dataset = _dataset(tmp_path)
    assert dataset.schema["contamination"] == pytest.approx(dataset.info["anomaly_share"])  # the default
    batch = TASK.prepare(tmp_path / "data.csv", dataset.schema)
    raw = np.linspace(0.0, 1.0, len(dataset.y), endpoint=False)
    out = TASK.format_predictions(raw, batch, {**dataset.schema, "contamination": 0.1})
    assert list(out.columns) == ["transaction_id", "anomaly_score", "flagged"]
    assert out["flagged"].mean() == pytest.approx(0.1, abs=0.01)
    assert TASK.format_predictions(raw, batch, {**dataset.schema, "contamination": 0.0})["flagged"].sum() == 0


def test_contamination_is_declared_from_0_to_one_half() -> None:
    option = TASK.option("contamination")  # automl checks every value given against this range
    assert option is not None and (option.minimum, option.maximum) == (0.0, 0.5) and option.at_predict


def test_the_label_column_is_found_by_its_name(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    anomaly_frame(200, 0.05).rename(columns={"is_anomaly": "is_fraud"}).to_csv(path, index=False)
    assert TASK.load(path, {}).schema["target"] == "is_fraud"
    anomaly_frame(200, 0.05).drop(columns="is_anomaly").assign(label=0).to_csv(path, index=False)
    with pytest.raises(UserError, match="--target COLUMN"):
        TASK.load(path, {})
