"""The networks: saving without pickle, reproducibility, pruning, deadlines and architecture edge cases."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import optuna
import pytest
import torch

from automl.catalog import build_catalog
from automl.specs import SearchContext, take
from automl_plugins.image import task
from automl_plugins.image.models import cnn, networks, recipe
from automl_plugins.image.models.augment import Augmenter
from automl_plugins.image.models.estimator import NetworkModel, load_model, save_model

FAST = {"epochs": 3, "batch_size": 32}


@pytest.fixture
def data(shapes: Path) -> tuple:
    dataset = task.load(shapes, {})
    train, valid = task.split(dataset, 0)[0]
    return dataset, take(dataset.X, train), dataset.y[train], take(dataset.X, valid), dataset.y[valid]


def context(dataset, **overrides) -> SearchContext:  # noqa: ANN001
    metric = build_catalog().metric("image", dataset.kind, "accuracy")
    base = dict(task="image", kind=dataset.kind, metric=metric, seed=0, n_threads=1, classes=dataset.classes,
                info=dataset.info)
    return SearchContext(**{**base, **overrides})


def fit(family: str, data: tuple, **overrides) -> NetworkModel:  # noqa: ANN003
    dataset, X, y, Xv, yv = data
    params = {**build_catalog().model("image", family).defaults, **FAST}
    return NetworkModel(family, params, context(dataset, **overrides)).fit(X, y, Xv, yv)


def test_saved_model_is_safetensors_and_json_and_predicts_the_same(data: tuple, tmp_path: Path) -> None:
    model = fit("cnn", data)
    before = model.predict(data[3])
    folder = tmp_path / "saved"
    folder.mkdir()
    save_model(model, folder)
    assert sorted(p.name for p in folder.iterdir()) == ["network.json", "weights.safetensors"]
    description = json.loads((folder / "network.json").read_text())
    assert description["architecture"]["family"] == "cnn" and len(description["architecture"]["mean"]) == 3
    np.testing.assert_array_equal(load_model(folder).predict(data[3]), before)
    assert before.shape == (len(data[3]), 3) and np.allclose(before.sum(axis=1), 1.0)


def test_same_seed_same_model(data: tuple) -> None:
    first, second = fit("mlp", data), fit("mlp", data)
    np.testing.assert_array_equal(first.predict(data[3]), second.predict(data[3]))


def test_every_epoch_is_reported_and_pruning_stops_training(data: tuple) -> None:
    steps: list[int] = []

    def reporter(step: int, value: float) -> None:
        steps.append(step)
        if step == 2:
            raise optuna.TrialPruned("pruned at step 2")

    with pytest.raises(optuna.TrialPruned):
        fit("linear", data, reporter=reporter)
    assert steps == [1, 2]


def test_training_stops_at_the_deadline_with_the_best_weights(data: tuple) -> None:
    dataset, X, y, Xv, yv = data
    params = {**cnn.SYMBOLS, "epochs": 50}
    started = time.time()
    model = NetworkModel("cnn", params, context(dataset, deadline=time.time() + 0.5)).fit(X, y, Xv, yv)
    assert model.history["stop_reason"].startswith("deadline")
    assert model.history["epochs_run"] < 50 and time.time() - started < 30
    assert 1 <= model.refit_params()["epochs"] <= model.history["epochs_run"]
    assert model.predict(Xv).shape == (len(Xv), 3)


def test_refit_without_validation_trains_the_given_epochs(data: tuple) -> None:
    dataset, X, y, _, _ = data
    model = NetworkModel("linear", {**recipe_defaults("linear"), "epochs": 4}, context(dataset)).fit(X, y)
    assert model.history["epochs_run"] == 4 and model.refit_params()["epochs"] == 4


def recipe_defaults(family: str) -> dict:
    return dict(build_catalog().model("image", family).defaults)


@pytest.mark.parametrize("size", [8, 28, 64])
@pytest.mark.parametrize("pool", ["max", "avg", "stride"])
@pytest.mark.parametrize("head", ["gap", "flatten"])
def test_every_cnn_shape_builds_and_runs(size: int, pool: str, head: str) -> None:
    params = {**cnn.SYMBOLS, "blocks": 5, "width": 64, "pool": pool, "head": head, "kernel": 5}
    arch = recipe.architecture("cnn", {**params, "resolution": "large"}, 3, size, 4)
    net = networks.build_network(arch).eval()
    with torch.no_grad():
        assert net(torch.zeros(2, 3, arch["size"], arch["size"])).shape == (2, 4)


def test_augmentation_keeps_shape_and_range_and_is_seeded() -> None:
    x = torch.rand(4, 3, 16, 16)
    params = {"shift": 0.15, "flip": "both", "rotation": 20, "color_jitter": 0.3}
    first, second = Augmenter(params, 0)(x), Augmenter(params, 0)(x)
    assert first.shape == x.shape and first.min() >= 0 and first.max() <= 1
    assert torch.equal(first, second) and not torch.equal(first, x)
    assert not Augmenter({}, 0).active
