"""Item-kNN: cosine similarity between items' user sets, with shrinkage, keeping each item's nearest neighbours.

A user's score for an item is the sum of its similarities to the items of the
user's (recency-weighted) profile. Similarities are computed in blocks of
columns (a sparse product per block), so memory stays bounded on large
catalogues, and kept as a sparse items x items matrix.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from automl.kit import SearchContext
from automl_plugins.recommend.models.base import (
    Interactions,
    Recommender,
    Validation,
    common_space,
    model_spec,
    sparse_from,
)

BLOCK_CELLS = 1 << 23


def similarities(positive: sp.csr_matrix, neighbours: int, shrink: float) -> sp.csr_matrix:
    """Items x items: column j holds the ``neighbours`` items most similar to item j (cosine, shrunk)."""
    n_items = positive.shape[1]
    columns = positive.tocsc()
    transposed = columns.T.tocsr()
    norms = np.sqrt(np.asarray(columns.sum(axis=0)).ravel())
    kept = min(neighbours, n_items - 1)
    rows_out, cols_out, values_out = [], [], []
    block = max(1, BLOCK_CELLS // max(n_items, 1))
    for start in range(0, n_items, block):
        stop = min(start + block, n_items)
        co = (transposed @ columns[:, start:stop]).toarray()
        sim = co / (norms[:, None] * norms[None, start:stop] + shrink + 1e-12)
        sim[np.arange(start, stop), np.arange(stop - start)] = 0.0
        if kept <= 0:
            continue
        top = np.argpartition(-sim, kept - 1, axis=0)[:kept]
        values = np.take_along_axis(sim, top, axis=0)
        positive_sim = values > 0
        rows_out.append(top[positive_sim])
        cols_out.append(np.broadcast_to(np.arange(start, stop), top.shape)[positive_sim])
        values_out.append(values[positive_sim])
    if not rows_out:
        return sp.csr_matrix((n_items, n_items), dtype=np.float32)
    return sp.csr_matrix((np.concatenate(values_out).astype(np.float32),
                          (np.concatenate(rows_out), np.concatenate(cols_out))), shape=(n_items, n_items))


class ItemKNN(Recommender):
    key = "itemknn"

    def _fit(self, data: Interactions, validation: Validation | None) -> None:
        self.similarity = similarities(data.positive, int(self.params["neighbours"]), float(self.params["shrink"]))

    def _scores(self, users: np.ndarray) -> np.ndarray:
        assert self.profile is not None
        return (self.profile[users] @ self.similarity).toarray()

    def arrays(self) -> dict[str, np.ndarray]:
        m = self.similarity
        return {"similarity.data": m.data, "similarity.indices": m.indices, "similarity.indptr": m.indptr,
                "similarity.shape": np.asarray(m.shape, dtype=np.int64)}

    def restore(self, arrays: dict[str, np.ndarray], folder: Path) -> None:
        self.similarity = sparse_from(arrays, "similarity")


def search_space(trial: Any, ctx: SearchContext) -> dict[str, Any]:
    return {
        "neighbours": trial.suggest_int("neighbours", 10, 1000, log=True),
        "shrink": trial.suggest_float("shrink", 0.0, 200.0),
        **common_space(trial, ctx),
    }


ITEMKNN = model_spec(
    ItemKNN, search_space,
    defaults={"neighbours": 100, "shrink": 10.0, "rating_threshold": 0.0, "recency": 3.0},
    portfolio=({"neighbours": 200, "shrink": 20.0, "rating_threshold": 0.0, "recency": 6.0},),
    description="item-kNN: cosine similarity with shrinkage over each item's nearest neighbours",
)
