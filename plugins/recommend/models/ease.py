"""EASE (Steck, 2019): a closed-form item-item linear model, B = I - P / diag(P) with P = (X'X + lambda I)^-1.

The inverse is dense, so the model keeps the ``MAX_ITEMS`` most popular items
seen by at least ``MIN_SUPPORT`` users (rarer items are almost never in anyone's
top K). The L2 weight ``l2`` (lambda) is searched on a log scale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from automl.kit import SearchContext
from automl_plugins.recommend.models.base import Interactions, Recommender, Validation, common_space, model_spec

MAX_ITEMS = 5000
MIN_SUPPORT = 3


def closed_form(X: sp.csr_matrix, l2: float) -> np.ndarray:
    gram = (X.T @ X).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += l2
    inverse = np.linalg.inv(gram)
    weights = inverse / -np.diag(inverse)
    weights[np.diag_indices_from(weights)] = 0.0
    return weights.astype(np.float32)


class EASE(Recommender):
    key = "ease"

    def _fit(self, data: Interactions, validation: Validation | None) -> None:
        support = np.asarray(data.positive.sum(axis=0)).ravel()
        order = np.argsort(-support, kind="stable")
        enough = order[support[order] >= MIN_SUPPORT]
        keep = enough if len(enough) >= 2 else order[support[order] > 0]
        self.keep = np.sort(keep[:MAX_ITEMS]).astype(np.int64)
        self.gram_input = data.positive[:, self.keep].tocsr()
        self.weights = closed_form(self.gram_input, float(self.params["l2"]))
        self._kept_profile = None

    def _scores(self, users: np.ndarray) -> np.ndarray:
        assert self.profile is not None
        if self._kept_profile is None:
            self._kept_profile = self.profile[:, self.keep].tocsr()
        scores = np.full((len(users), self.n_items), -np.inf, dtype=np.float32)
        scores[:, self.keep] = self._kept_profile[users] @ self.weights
        return scores

    def __getstate__(self) -> dict[str, Any]:
        # an in-memory copy (copy.deepcopy; never a run folder, whose models are npz files) holds the sparse
        # input, not the dense items x items weights; the copy solves again
        return {**super().__getstate__(), "_kept_profile": None, "weights": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        if self.weights is None and getattr(self, "gram_input", None) is not None:
            self.weights = closed_form(self.gram_input, float(self.params["l2"]))

    def reset_caches(self) -> None:
        self._kept_profile = None

    def arrays(self) -> dict[str, np.ndarray]:
        return {"keep": self.keep, "weights": self.weights}

    def restore(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        self.keep, self.weights, self._kept_profile = arrays["keep"], arrays["weights"], None
        self.gram_input = None


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {"l2": trial.suggest_float("l2", 1.0, 20000.0, log=True), **common_space(trial, ctx)}


EASE_SPEC = model_spec(
    EASE, search_space,
    defaults={"l2": 300.0, "rating_threshold": 0.0, "recency": 3.0},
    portfolio=({"l2": 600.0, "rating_threshold": 0.0, "recency": 6.0},
               {"l2": 100.0, "rating_threshold": 0.0, "recency": 0.0}),
    description="EASE: closed-form item-item regression (Steck 2019) on the most popular items",
)
