"""Building blocks of the conformance checks, usable on their own."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from automl.catalog import Catalog
from automl.specs import Dataset, Fold, MetricSpec, ModelSpec, SearchContext, TaskSpec, take


@dataclass
class SampleSetup:
    """A task's own sample data, loaded and split, with a context for its default metric."""

    task: TaskSpec
    source: Any
    options: dict[str, Any]
    dataset: Dataset
    folds: list[Fold]
    metric: MetricSpec

    def context(self, **overrides: Any) -> SearchContext:
        base = dict(task=self.task.name, kind=self.dataset.kind, metric=self.metric,
                    classes=self.dataset.classes, info=self.dataset.info)
        return SearchContext(**{**base, **overrides})

    def first_fold(self) -> tuple[Any, Any, Any, Any]:
        train, valid = self.folds[0]
        X, y = self.dataset.X, self.dataset.y
        return take(X, train), y[train], take(X, valid), y[valid]


def sample_setup(catalog: Catalog, task_name: str, folder: Path) -> SampleSetup:
    task = catalog.task(task_name)
    assert task.sample_data is not None, f"task '{task_name}' must provide sample_data for the conformance kit"
    source, options = task.sample_data(Path(folder))
    dataset = task.load(source, options)
    metric = catalog.metric(task.name, dataset.kind, task.default_metric(dataset))
    return SampleSetup(task, source, dict(options), dataset, task.split(dataset, 0), metric)


def search_space_samples(spec: ModelSpec, ctx: SearchContext) -> list[dict[str, Any]]:
    """Sample the space under ``FixedTrial`` with the defaults and every portfolio entry.

    ``FixedTrial`` fails on a parameter it was not given, so this also checks
    that the defaults cover the whole space.
    """
    return [dict(spec.search_space(optuna.trial.FixedTrial(dict(config)), ctx))
            for config in (spec.defaults, *spec.portfolio)]
