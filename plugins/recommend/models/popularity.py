"""The baseline: every user gets the most interacted-with items they have not seen yet."""

from __future__ import annotations

from typing import Any

import numpy as np

from automl.kit import SearchContext
from automl_plugins.recommend.models.base import Interactions, Recommender, Validation, model_spec


class Popularity(Recommender):
    key = "popularity"

    def _fit(self, data: Interactions, validation: Validation | None) -> None:
        return None  # the item counts are all it needs, and the base class keeps them

    def _scores(self, users: np.ndarray) -> np.ndarray:
        return self._popular_scores(len(users))


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {}


POPULARITY = model_spec(
    Popularity, search_space, defaults={}, description="the most popular items the user has not seen (baseline)",
)
