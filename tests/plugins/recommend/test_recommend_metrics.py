"""The ranking metrics on cases worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from automl_plugins.recommend.metrics import coverage, hit_rate, mean_average_precision, ndcg, recall


def _lists(rows: list[list[int]]) -> np.ndarray:
    """Per held-out row, its user's list, in the (rows, 2, K) layout models return."""
    items = np.asarray(rows, dtype=float)
    return np.stack([items, np.zeros_like(items)], axis=1)


# user 0 held out items 5 and 7; user 1 held out item 9; K = 3
Y = np.array([[0, 5], [0, 7], [1, 9]])
PRED = _lists([[7, 1, 5], [7, 1, 5], [2, 3, 4]])


def test_ndcg_recall_map_hit_rate_by_hand() -> None:
    d = 1 / np.log2(np.arange(2, 5))
    assert ndcg(Y, PRED) == pytest.approx(((d[0] + d[2]) / (d[0] + d[1]) + 0.0) / 2)
    assert recall(Y, PRED) == pytest.approx((2 / 2 + 0) / 2)
    assert mean_average_precision(Y, PRED) == pytest.approx(((1 / 1 + 2 / 3) / 2 + 0) / 2)
    assert hit_rate(Y, PRED) == pytest.approx(0.5)
    # items 1,2,3,4,5,7 recommended; codes go up to 9
    assert coverage(Y, PRED) == pytest.approx(6 / 10)


def test_a_perfect_list_scores_one_and_empty_slots_count_as_misses() -> None:
    perfect = _lists([[5, 7, -1], [5, 7, -1], [9, -1, -1]])
    assert ndcg(Y, perfect) == pytest.approx(1.0)
    assert recall(Y, perfect) == pytest.approx(1.0)
    assert mean_average_precision(Y, perfect) == pytest.approx(1.0)


def test_a_user_list_is_read_once_and_repeated_pairs_count_once() -> None:
    y = np.array([[0, 5], [0, 5], [0, 7]])
    pred = _lists([[5, 7, 1], [9, 9, 9], [9, 9, 9]])  # only the user's first row counts
    assert ndcg(y, pred) == pytest.approx(1.0)
    assert ndcg(y, pred[:, 0, :]) == pytest.approx(1.0)  # plain (rows, K) item lists work too
