"""The joint search space: a model choice, then that model's own parameters.

Parameters are stored in the study as ``<model>.<param>`` so that TPE learns a
separate distribution per model family, and a model's search-space function can
use plain names without knowing about the others.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import optuna

from automl.specs import ModelSpec, SearchContext

MODEL_PARAM = "model"


class PrefixedTrial:
    """A view of an Optuna trial that namespaces every parameter under a model key."""

    def __init__(self, trial: optuna.Trial, prefix: str) -> None:
        self._trial = trial
        self._prefix = prefix

    def _name(self, name: str) -> str:
        return f"{self._prefix}.{name}"

    def suggest_float(self, name: str, low: float, high: float, **kwargs: Any) -> float:
        return self._trial.suggest_float(self._name(name), low, high, **kwargs)

    def suggest_int(self, name: str, low: int, high: int, **kwargs: Any) -> int:
        return self._trial.suggest_int(self._name(name), low, high, **kwargs)

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any:
        return self._trial.suggest_categorical(self._name(name), choices)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._trial, name)


def sample(trial: optuna.Trial, specs: Mapping[str, ModelSpec], ctx: SearchContext) -> tuple[str, dict[str, Any]]:
    """Pick a model family for this trial, then sample its parameters."""
    key = trial.suggest_categorical(MODEL_PARAM, list(specs))
    params = specs[key].search_space(PrefixedTrial(trial, key), ctx)
    return key, dict(params)


def model_params(key: str, params: Mapping[str, Any]) -> dict[str, Any]:
    """Strip the ``<model>.`` prefix from a trial's stored parameters."""
    prefix = f"{key}."
    return {name[len(prefix):]: value for name, value in params.items() if name.startswith(prefix)}


def queued_params(spec: ModelSpec, config: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters for ``study.enqueue_trial`` that reproduce ``config`` for ``spec``."""
    return {MODEL_PARAM: spec.key, **{f"{spec.key}.{k}": v for k, v in config.items()}}


def enqueue_starting_points(study: optuna.Study, specs: Mapping[str, ModelSpec]) -> int:
    """Queue each cheap model's defaults, then every portfolio entry, round-robin.

    Defaults come first so that a baseline of every cheap family exists within
    seconds; the portfolios follow, interleaved so no family hogs the start,
    and the defaults of the expensive families come last.
    """
    queue = [queued_params(s, s.defaults) for s in specs.values() if s.cheap]
    depth = max((len(s.portfolio) for s in specs.values()), default=0)
    for level in range(depth):
        queue += [
            queued_params(s, s.portfolio[level]) for s in specs.values() if level < len(s.portfolio)
        ]
    queue += [queued_params(s, s.defaults) for s in specs.values() if not s.cheap]
    for params in queue:
        study.enqueue_trial(params, skip_if_exists=True)
    return len(queue)
