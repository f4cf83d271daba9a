"""Everything one search process needs, rebuilt identically in every worker."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from automl.catalog import Catalog
from automl.runs import RunDir
from automl.specs import Dataset, Fold, MetricSpec, ModelSpec, SearchContext, TaskSpec


@dataclass
class SearchSetup:
    catalog: Catalog
    run: RunDir
    task: TaskSpec
    dataset: Dataset
    folds: list[Fold]
    metric: MetricSpec
    models: dict[str, ModelSpec]
    seed: int = 0
    n_threads: int = 1
    trial_timeout: float | None = None
    extra_metrics: list[MetricSpec] = field(default_factory=list)

    @property
    def tie_break_metric(self) -> str | None:
        """The smooth metric that settles ties (``MetricSpec.tie_breaker``) among those trials record."""
        return next((m.name for m in [self.metric, *self.extra_metrics] if m.tie_breaker), None)

    @property
    def valid_index(self) -> np.ndarray:
        """Row positions of the concatenated validation predictions, fold by fold."""
        return np.concatenate([valid for _, valid in self.folds])

    @property
    def y_valid(self) -> np.ndarray:
        return np.asarray(self.dataset.y)[self.valid_index]

    def context(self, **overrides: Any) -> SearchContext:
        base = dict(
            task=self.task.name,
            kind=self.dataset.kind,
            metric=self.metric,
            seed=self.seed,
            n_threads=self.n_threads,
            classes=self.dataset.classes,
            info=self.dataset.info,
        )
        return SearchContext(**{**base, **overrides})
