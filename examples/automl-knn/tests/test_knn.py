"""automl-knn passes automl's conformance kit, and its model actually learns."""

from __future__ import annotations

import numpy as np
from automl.kit import take
from automl.testing import Catalog, ModelSpecChecks, SampleSetup

import automl_knn


class TestKnn(ModelSpecChecks):
    """The checks every model plugin passes: valid spec, sampleable space, save/load round trip."""

    task = "tabular"
    models = ("knn",)
    plugin = automl_knn

    def test_knn_beats_chance_on_churn(self, catalog: Catalog, sample: SampleSetup) -> None:
        """On the tabular task's churn sample, knn ranks churners well above chance (AUC 0.5)."""
        spec = catalog.model("tabular", "knn")
        X, y = sample.dataset.X, sample.dataset.y
        scores = []
        for train, valid in sample.folds:
            model = spec.build(dict(spec.defaults), sample.context()).fit(take(X, train), y[train])
            proba = np.asarray(model.predict(take(X, valid)))
            assert proba.shape == (len(valid), 2)
            np.testing.assert_allclose(proba.sum(axis=1), 1.0)
            scores.append(sample.metric.fn(y[valid], proba))
        assert sample.metric.name == "roc_auc"
        assert np.mean(scores) > 0.62, f"knn scores {np.round(scores, 3)} roc_auc on churn: barely above chance"

    def test_more_neighbours_than_rows_is_capped(self, catalog: Catalog, sample: SampleSetup) -> None:
        """A tiny training fold never makes scikit-learn fail with n_neighbors > n_samples."""
        spec = catalog.model("tabular", "knn")
        X_train, y_train, X_valid, _ = sample.first_fold()
        ctx = sample.context(info={**sample.dataset.info, "n_rows": 20})
        model = spec.build({"n_neighbors": 100, "weights": "uniform", "p": 1}, ctx)
        model.fit(X_train.iloc[:20], y_train[:20])
        assert model.predict(X_valid).shape == (len(X_valid), 2)
