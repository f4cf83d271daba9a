"""The recommend plugin passes the conformance kit that third-party plugins use."""

from __future__ import annotations

from typing import Any

import automl_plugins.recommend
from automl.testing import TaskPluginTestCase
from automl.testing.checks import SampleSetup


class TestRecommendConformance(TaskPluginTestCase):
    task = "recommend"
    plugin = automl_plugins.recommend.PLUGIN

    def check_predictions(self, predictions: Any, sample: SampleSetup) -> None:
        """A recommender's contract (docs/architecture.md): K rows per user, ``user, rank, item, score, fallback``."""
        assert list(predictions.columns) == ["user", "rank", "item", "score", "fallback"]
        n_users = sample.dataset.info["n_users"]
        assert predictions["user"].nunique() == n_users
        assert len(predictions) == n_users * sample.dataset.info["top_k"]
        assert not predictions["fallback"].any()
