"""Permutation importance predicts a round's shuffled copies in one call, with the same numbers as one call each."""

from __future__ import annotations

import numpy as np
import pandas as pd

from automl_plugins.tabular import explain

METRIC = type("Metric", (), {"direction": "maximize",
                             "fn": staticmethod(lambda t, p: float(np.mean(t == (np.asarray(p) > 0.5))))})


def _frame(n: int = 60) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "c": pd.Categorical(rng.choice(["x", "y"], n), categories=["x", "y"])})
    return X, (X["a"] + 0.3 * X["b"] > 0).to_numpy().astype(int)


def _model(frame: pd.DataFrame) -> np.ndarray:
    return (frame["a"] + 0.3 * frame["b"] > 0).to_numpy().astype(float)


def test_batched_shuffles_give_the_numbers_of_one_call_per_column() -> None:
    X, y = _frame()
    groups = {"a": ["a"], "b": ["b"], "c": ["c"]}
    calls: list[int] = []

    def batched(frame: pd.DataFrame, copies: int) -> np.ndarray:
        calls.append(copies)
        assert len(frame) == copies * len(X)
        return _model(frame)

    found, rounds = explain.permutation_importance(batched, X, y, METRIC, groups, seed=3)

    rng, expected = np.random.default_rng(3), {c: [] for c in groups}
    for _ in range(rounds):  # the reference: one prediction per shuffled column, the same random draws
        for column, features in groups.items():
            shuffled = explain._shuffled(X, features, rng)  # noqa: SLF001 - the same shuffle, called alone
            expected[column].append(1.0 - METRIC.fn(y, _model(shuffled)))
    assert rounds == explain.REPEATS
    means = {i.column: i.mean for i in found}
    assert means == {c: float(np.mean(d)) for c, d in expected.items()}
    assert [i.column for i in found][0] == "a" and means["c"] == 0.0
    assert calls == [1] + [3] * rounds, "the baseline, then one call per round"


def test_a_wide_prediction_is_split_into_smaller_calls() -> None:
    assert explain.copies_per_call(1000, 1) == explain.STACKED_VALUES // 1000
    assert explain.copies_per_call(1000, 1000) == 4, "a thousand classes: four copies of 1,000 rows a call"
    assert explain.copies_per_call(10_000, 1000) == 1
