"""Top-K ranking metrics, vectorised over users with numpy (no loop over users).

``y_true`` holds the held-out interactions as rows ``[user, item]``; a
prediction holds, per row, its user's list (see :mod:`.task`: shape
``(rows, 2, K)``, or ``(rows, K)`` of item codes). A user's list is read from
the user's first row. K is the list's length (the run's ``top_k``, 10 unless
set), so ``ndcg`` is NDCG@10 by default. Relevance is binary: an item is
relevant when the user interacted with it in the held-out period.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from automl.kit import MetricSpec

TASKS = ("recommend",)


@dataclass(frozen=True)
class Hits:
    """Where each held-out (user, item) pair appears in its user's list."""

    lists: np.ndarray  # (users, K) item codes, -1 for empty slots
    pair_user: np.ndarray  # user index (0..users-1) of each distinct held-out pair
    position: np.ndarray  # 0-based rank of the pair's item in the list, -1 when absent
    relevant: np.ndarray  # held-out items per user

    @property
    def k(self) -> int:
        return self.lists.shape[1]

    @property
    def n_users(self) -> int:
        return len(self.lists)


def item_lists(prediction: np.ndarray) -> np.ndarray:
    prediction = np.asarray(prediction)
    return prediction[:, 0, :] if prediction.ndim == 3 else prediction


def hits(y_true: np.ndarray, prediction: np.ndarray) -> Hits:
    y = np.asarray(y_true, dtype=np.int64)
    lists = item_lists(prediction)
    if len(y) != len(lists):
        raise ValueError(f"{len(lists)} predictions for {len(y)} held-out interactions")
    users, first, row_user = np.unique(y[:, 0], return_index=True, return_inverse=True)
    user_lists = np.asarray(lists[first], dtype=float)
    pairs, pair_rows = np.unique(np.column_stack([row_user, y[:, 1]]), axis=0, return_index=True)
    pair_user, pair_item = pairs[:, 0], pairs[:, 1]
    match = user_lists[pair_user] == pair_item[:, None]
    position = np.where(match.any(axis=1), match.argmax(axis=1), -1)
    return Hits(user_lists, pair_user, position, np.bincount(pair_user, minlength=len(users)))


def _discounts(k: int) -> np.ndarray:
    return 1.0 / np.log2(np.arange(2, k + 2))


def user_ndcg(y_true: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """Each validation user's NDCG@K (``ndcg`` is their mean; the report resamples these users)."""
    h = hits(y_true, prediction)
    discount = _discounts(h.k)
    hit = h.position >= 0
    dcg = np.bincount(h.pair_user[hit], weights=discount[h.position[hit]], minlength=h.n_users)
    ideal = np.cumsum(discount)[np.minimum(h.relevant, h.k) - 1]
    return dcg / ideal


def user_recall(y_true: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    h = hits(y_true, prediction)
    return np.bincount(h.pair_user[h.position >= 0], minlength=h.n_users) / h.relevant


def user_hit(y_true: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    h = hits(y_true, prediction)
    return (np.bincount(h.pair_user[h.position >= 0], minlength=h.n_users) > 0).astype(float)


def user_average_precision(y_true: np.ndarray, prediction: np.ndarray) -> np.ndarray:
    """AP@K per user: the precision at each hit's rank, summed and divided by min(relevant, K)."""
    h = hits(y_true, prediction)
    hit = h.position >= 0
    user, position = h.pair_user[hit], h.position[hit]
    order = np.lexsort((position, user))
    user, position = user[order], position[order]
    starts = np.searchsorted(user, user, side="left")
    nth_hit = np.arange(len(user)) - starts + 1
    precision = np.bincount(user, weights=nth_hit / (position + 1), minlength=h.n_users)
    return precision / np.minimum(h.relevant, h.k)


def ndcg(y_true: np.ndarray, prediction: np.ndarray) -> float:
    return float(np.mean(user_ndcg(y_true, prediction)))


def recall(y_true: np.ndarray, prediction: np.ndarray) -> float:
    return float(np.mean(user_recall(y_true, prediction)))


def hit_rate(y_true: np.ndarray, prediction: np.ndarray) -> float:
    return float(np.mean(user_hit(y_true, prediction)))


def mean_average_precision(y_true: np.ndarray, prediction: np.ndarray) -> float:
    """MAP@K: the mean over users of :func:`user_average_precision`."""
    return float(np.mean(user_average_precision(y_true, prediction)))


def coverage(y_true: np.ndarray, prediction: np.ndarray) -> float:
    """Share of the catalogue (item codes up to the largest seen) recommended to at least one user."""
    h = hits(y_true, prediction)
    recommended = np.unique(h.lists[h.lists >= 0])
    catalogue = int(max(np.asarray(y_true)[:, 1].max(), recommended.max(initial=-1))) + 1
    return float(len(recommended) / max(catalogue, 1))


# The means over users bootstrap over users (MetricSpec.unit_scores); coverage is a property of all the lists
# together, which resampled users could only shrink, so it has no interval.
METRICS = (
    MetricSpec("ndcg", ndcg, "maximize", False, TASKS, (),
               "NDCG@K (K = top_k, 10 by default) over users, binary relevance of the held-out items",
               unit="users", unit_scores=user_ndcg),
    MetricSpec("recall", recall, "maximize", False, TASKS, (), "Recall@K: share of each user's held-out items found",
               unit="users", unit_scores=user_recall),
    MetricSpec("map", mean_average_precision, "maximize", False, TASKS, (), "MAP@K over users",
               unit="users", unit_scores=user_average_precision),
    MetricSpec("hit_rate", hit_rate, "maximize", False, TASKS, (), "share of users with a held-out item in the top K",
               unit="users", unit_scores=user_hit),
    MetricSpec("coverage", coverage, "maximize", False, TASKS, (), "share of the catalogue recommended to anyone",
               bootstrap=False),
)
