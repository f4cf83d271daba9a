"""Every interval contains its point estimate (issue 16, point 3).

The recommendation report printed "a 90% bootstrap interval of NDCG is 0.106 to 0.118" around a score of
0.1565: the bootstrap resampled interactions, so each resample lost some of every user's held-out items and
scored below the real NDCG. The interval now resamples the metric's own unit (users) and states the score it is
printed around: the same statistic on the same rows. These tests check that for every metric the report builds an
interval for, on synthetic validation evidence of every shape (tiny, one class dominant, ties, perfect models),
and once end to end on a tiny recommend fit.
"""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from automl import MetricSpec
from automl.report.evidence import Interval, Validation, bootstrap_interval
from automl.report.summary import confidence_sentence

PLUGINS = ("tabular", "text", "image", "finetune", "recommend", "forecast")  # the built-ins' entry point names
MODES = ("random", "noisy", "perfect", "ties", "constant")
# Means over their unit: the mean of the resampled means is the estimate, so a 5-95% percentile range that
# misses it (an interval that had to be widened) can only come from resampling the wrong unit.
MEANS = {"accuracy", "log_loss", "mae", "ndcg", "recall@users", "map", "hit_rate", "mase", "smape", "coverage_80"}
NUMBER = r"(-?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"
SENTENCE = re.compile(rf"the validation (.+?) on these ([\d,]+) (\w+) is {NUMBER}, with a 90% bootstrap interval "
                      rf"\((\w+) resampled\) of {NUMBER} to {NUMBER}")


def _cases() -> list[tuple[str, str, MetricSpec]]:
    cases = []
    declared = {ep.name: ep for ep in importlib.metadata.entry_points(group="automl")}
    for plugin in PLUGINS:
        for spec in declared[plugin].load().metrics:
            for kind in spec.kinds or ("any",):
                cases.append((plugin, kind, spec))
    return cases


CASES = _cases()
IDS = [f"{plugin}-{kind}-{spec.name}" for plugin, kind, spec in CASES]


# -- synthetic validation evidence --------------------------------------------------------------------------------
def _classification(rng: np.random.Generator, n: int, classes: int, dominance: float, mode: str) -> Validation:
    rest = (1 - dominance) / (classes - 1)
    y = rng.choice(classes, n, p=[dominance, *[rest] * (classes - 1)])
    if mode == "perfect":
        proba = np.eye(classes)[y] * 0.9 + 0.1 / classes
    elif mode == "noisy":
        proba = np.eye(classes)[y] + rng.gamma(1.0, 0.8, (n, classes))
    elif mode == "ties":
        proba = np.round(rng.dirichlet(np.ones(classes), n) * 4) + 0.5
    elif mode == "constant":
        proba = np.tile(rng.dirichlet(np.ones(classes)), (n, 1))
    else:
        proba = rng.dirichlet(np.ones(classes), n)
    proba = proba / proba.sum(axis=1, keepdims=True)
    return Validation(y, proba, np.arange(n), np.zeros(n, dtype=int))


def _regression(rng: np.random.Generator, n: int, mode: str) -> Validation:
    y = rng.lognormal(0, 1, n) * rng.choice([1, 100])
    prediction = {"perfect": y.copy(), "noisy": y + rng.normal(0, y.std() / 3 + 1e-9, n),
                  "ties": np.round(y), "constant": np.full(n, y.mean())}.get(mode, rng.permutation(y))
    if mode == "ties":
        y = np.round(y)
    return Validation(y, prediction, np.arange(n), np.zeros(n, dtype=int))


def _recommend(rng: np.random.Generator, users: int, mode: str, k: int) -> Validation:
    """Held-out interactions ``[user, item]``, each row carrying its user's top-K list (shape (rows, 2, K))."""
    items = 40
    rows, lists = [], []
    for user in rng.choice(10_000, users, replace=False):
        held = rng.choice(items, int(rng.integers(1, 9)), replace=False)
        if mode == "perfect":
            ranked = np.concatenate([held, np.setdiff1d(np.arange(items), held)])[:k]
        elif mode == "constant":
            ranked = np.arange(k)
        elif mode == "noisy":  # a few held-out items first, the rest at random
            ranked = np.concatenate([held[: len(held) // 2], rng.permutation(np.setdiff1d(np.arange(items),
                                                                                          held[: len(held) // 2]))])[:k]
        else:
            ranked = rng.permutation(items)[:k]
        if mode == "ties":  # an unfilled slot: a list shorter than K
            ranked = np.where(np.arange(k) == k - 1, -1, ranked)
        for item in held:
            rows.append([user, item])
            lists.append(np.stack([ranked, np.linspace(1, 0, k)]))
    order = rng.permutation(len(rows))
    y, prediction = np.asarray(rows)[order], np.asarray(lists, dtype=float)[order]
    return Validation(y, prediction, np.arange(len(y)), np.zeros(len(y), dtype=int))


def _forecast(rng: np.random.Generator, n: int, mode: str) -> Validation:
    values = rng.gamma(2.0, 10.0, n) * (mode != "constant")
    scale = rng.uniform(0.5, 3.0, n)
    point = {"perfect": values, "ties": np.round(values, -1)}.get(mode, values + rng.normal(0, 5, n))
    width = rng.uniform(1, 10, n)
    prediction = np.column_stack([point, point - width, point + width, point - 2 * width, point + 2 * width])
    return Validation(np.column_stack([values, scale]), prediction, np.arange(n), np.zeros(n, dtype=int))


def _evidence(plugin: str, kind: str, seed: int, n: int, dominance: float, mode: str) -> Validation:
    rng = np.random.default_rng(seed)
    if plugin == "recommend":
        return _recommend(rng, max(1, n // 3), mode, k=int(rng.choice([1, 3, 10])))
    if plugin == "forecast":
        return _forecast(rng, n, mode)
    if kind == "regression":
        return _regression(rng, n, mode)
    return _classification(rng, n, 2 if kind == "binary" else 3, dominance, mode)


def _score(spec: MetricSpec, validation: Validation) -> float | None:
    try:
        score = float(spec.fn(validation.y, validation.prediction))
    except ValueError:  # one class only: no AUC
        return None
    return score if np.isfinite(score) else None


def _check(spec: MetricSpec, validation: Validation, interval: Interval | None) -> None:
    """The interval holds the estimate, and the estimate is the metric on all the evidence."""
    if interval is None:
        return
    assert spec.bootstrap, f"{spec.name} says it has no interval, yet one was built"
    assert interval.estimate == _score(spec, validation), "the estimate is the metric on the same rows"
    assert interval.low <= interval.estimate <= interval.high, interval
    assert np.isfinite([interval.low, interval.high]).all(), interval
    if spec.name in MEANS or f"{spec.name}@{spec.unit}" in MEANS:
        assert not interval.widened, f"{spec.name} is a mean over {spec.unit}: its resamples cannot all miss it"
    sentence = confidence_sentence([], interval, spec.name)
    assert sentence is not None
    assert ("stretched to reach" in sentence) == interval.widened, sentence
    printed = SENTENCE.search(sentence)
    assert printed, sentence
    estimate, low, high = (float(printed[i]) for i in (4, 6, 7))
    assert low <= estimate <= high, sentence
    assert printed[3] == printed[5] == interval.unit


# -- the property, across tasks and metrics ------------------------------------------------------------------------
@pytest.mark.parametrize(("plugin", "kind", "spec"), CASES, ids=IDS)
@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 150), dominance=st.sampled_from([0.5, 0.8, 0.97, 1.0]),
       mode=st.sampled_from(MODES))
def test_every_interval_contains_its_estimate(plugin: str, kind: str, spec: MetricSpec, seed: int, n: int,
                                              dominance: float, mode: str) -> None:
    validation = _evidence(plugin, kind, seed, n, dominance, mode)
    _check(spec, validation, bootstrap_interval(spec, validation, seed=seed, samples=40))


@pytest.mark.parametrize(("plugin", "kind", "spec"), CASES, ids=IDS)
def test_a_fair_case_gets_an_interval_of_its_unit(plugin: str, kind: str, spec: MetricSpec) -> None:
    """The property above is not met by leaving intervals out: ordinary evidence gets one, of the right unit."""
    validation = _evidence(plugin, kind, seed=7, n=240, dominance=0.6, mode="noisy")
    interval = bootstrap_interval(spec, validation, seed=7, samples=60)
    if not spec.bootstrap:
        assert interval is None, f"{spec.name} is a property of all the lists together: no interval"
        return
    assert interval is not None
    _check(spec, validation, interval)
    assert interval.low < interval.high
    expected = ("users", 80) if plugin == "recommend" else ("rows", len(validation))
    assert (interval.unit, interval.n) == expected


def test_too_little_evidence_has_no_interval() -> None:
    spec = next(s for _, _, s in CASES if s.name == "ndcg")
    assert bootstrap_interval(spec, _evidence("recommend", "any", 1, 57, 0.5, "noisy")) is None, "19 users"
    accuracy = next(s for p, _, s in CASES if p == "tabular" and s.name == "accuracy")
    assert bootstrap_interval(accuracy, _evidence("tabular", "binary", 1, 19, 0.5, "noisy")) is None


# -- the cause of the issue ------------------------------------------------------------------------------------------
def test_resampling_interactions_missed_ndcg_and_resampling_users_does_not() -> None:
    """Users with many held-out items lose some of them in a resample of rows: every resample scored too low."""
    from automl_plugins.recommend.metrics import METRICS

    ndcg = next(s for s in METRICS if s.name == "ndcg")
    validation = _evidence("recommend", "any", seed=3, n=600, dominance=0.5, mode="noisy")
    estimate = ndcg.fn(validation.y, validation.prediction)
    rng = np.random.default_rng(0)
    n = len(validation)
    by_rows = [ndcg.fn(validation.y[r], validation.prediction[r]) for r in (rng.integers(0, n, n) for _ in range(60))]
    assert np.percentile(by_rows, 95) < estimate, "the old interval, resampling interactions, lies below its score"
    interval = bootstrap_interval(ndcg, validation, seed=0)
    assert interval is not None and interval.unit == "users" and not interval.widened
    assert interval.low < estimate < interval.high


def test_a_statistic_biased_on_resamples_is_widened_and_says_so() -> None:
    """A share of distinct values can only shrink when rows repeat: the percentile range lies below it."""
    distinct = MetricSpec("distinct_share", lambda y, p: len(np.unique(p)) / len(p), "maximize", tasks=("t",))
    validation = Validation(np.zeros(50), np.arange(50.0), np.arange(50), np.zeros(50, dtype=int))
    interval = bootstrap_interval(distinct, validation, samples=60)
    assert interval is not None and interval.widened
    assert interval.estimate == interval.high == 1.0 and interval.low < 0.8
    sentence = confidence_sentence([0.5, 0.6], interval, "distinct_share")
    assert sentence is not None and "stretched to reach 1: most resampled scores fell below it" in sentence
    assert "across the 2 validation folds" in sentence


# -- end to end: the report's printed interval holds its printed score -------------------------------------------------
def test_the_recommend_report_prints_an_interval_around_its_score(tmp_path: Path) -> None:
    from automl import AutoML
    from automl_plugins.recommend.sample import interactions_frame

    data = tmp_path / "interactions.csv"
    interactions_frame(n_users=200, n_items=120, seed=1).to_csv(data, index=False)
    run = AutoML(task="recommend", trials=3, time_budget=60, run_dir=tmp_path / "run").fit(data)
    markdown = run.report().with_suffix(".md").read_text()
    line = next(line for line in markdown.splitlines() if "How sure we are" in line)
    printed = SENTENCE.search(line)
    assert printed, line
    metric, users, unit, estimate, low, high = (printed[1], int(printed[2].replace(",", "")), printed[3],
                                                float(printed[4]), float(printed[6]), float(printed[7]))
    assert (metric, unit) == ("ranking quality of each user's top 10 (NDCG)", "users") and users == 200
    assert low <= estimate <= high, line
    assert "stretched" not in line, line
    final = run.model_record()
    assert f"{final.validation_score:.4g}" == printed[4], "the interval's score is the final model's score"
