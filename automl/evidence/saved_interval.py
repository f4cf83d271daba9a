"""The report's bootstrap interval, computed once when the fit finishes and read by every later report.

Resampling the validation score hundreds of times is the slowest part of the
core report (300 AUCs on 32,561 census rows: 1 to 3 s of the 5 s ``automl
report`` may take). The interval depends only on the final model's validation
predictions, the metric and the seed, which do not change once the run is
saved, so :func:`save` computes it at the end of the fit (within what is left
of the time budget) into ``best/interval.json`` (:mod:`automl.evidence.cache`:
plain JSON, covered by the checksums, tagged with the model) and
:func:`interval` reads it back. A run without the file, or with one that is
unreadable, out of shape or for another metric or seed, gets the interval
computed as before: never another model's numbers.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from typing import Any

from automl.evidence import cache
from automl.evidence import validation as evidence

FILE = "interval.json"
log = logging.getLogger(__name__)


def _key(metric: Any, seed: int) -> dict[str, Any]:
    return {"metric": str(metric.name), "seed": int(seed), "samples": evidence.BOOTSTRAP_SAMPLES}


def save(run: Any, metric: Any, validation: evidence.Validation, seed: int) -> None:
    """Compute the interval now and save it (``None`` too: a score without an interval is saved as such)."""
    found = evidence.bootstrap_interval(metric, validation, seed=seed)
    cache.save_json(run.dir.best, FILE, {**_key(metric, seed), "interval": _to_json(found)})


def interval(run: Any, metric: Any, validation: evidence.Validation, seed: int) -> Any:
    """The interval saved for this model, metric and seed, else computed now (the same result, slower)."""
    saved = cache.load_json(run, FILE)
    if isinstance(saved, dict) and all(saved.get(k) == v for k, v in _key(metric, seed).items()):
        try:
            return _from_json(saved.get("interval"))
        except (TypeError, ValueError) as exc:
            log.warning("%s is not what automl saves (%s); the interval is computed again", run.dir.best / FILE, exc)
    elif saved is not None:
        log.warning("%s was saved for another metric or seed; the interval is computed again", run.dir.best / FILE)
    return evidence.bootstrap_interval(metric, validation, seed=seed)


def _to_json(found: Any) -> Any:
    return None if found is None else dataclasses.asdict(found)


def _from_json(content: Any) -> Any:
    """The saved interval, each field checked against :class:`automl.evidence.validation.Interval`'s."""
    if content is None:
        return None
    if not isinstance(content, dict):
        raise TypeError("the interval is not an object")
    fields = {f.name: f for f in dataclasses.fields(evidence.Interval)}
    if set(content) - set(fields):
        raise ValueError(f"unknown fields {sorted(set(content) - set(fields))}")
    values = {}
    for name, field in fields.items():
        if name not in content:
            if field.default is dataclasses.MISSING:
                raise ValueError(f"no '{name}'")
            continue
        values[name] = _checked(name, content[name], str(field.type))
    found = evidence.Interval(**values)
    low, high, estimate = (getattr(found, k, None) for k in ("low", "high", "estimate"))
    if low is not None and high is not None and not low <= high:
        raise ValueError("low above high")
    if estimate is not None and not low <= estimate <= high:
        raise ValueError("the estimate is outside its interval")
    return found


def _checked(name: str, value: Any, kind: str) -> Any:
    if kind == "bool":
        if not isinstance(value, bool):
            raise TypeError(f"'{name}' is not true or false")
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**12:
            raise TypeError(f"'{name}' is not a count")
        return value
    if kind == "str":
        if not isinstance(value, str) or len(value) > 100:
            raise TypeError(f"'{name}' is not a short text")
        return value
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TypeError(f"'{name}' is not a finite number")
    return float(value)
