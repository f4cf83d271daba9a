"""What automl stores on an Optuna trial (its user attributes): the names, and a typed record to read them.

They sit at the bottom of the layers (docs/architecture.md) because both the
storage (which retries a dead worker's trial without its failure marks) and the
search and leaderboard above it read and write them. Writers use the names;
readers use :class:`TrialRecord`, never a bare string key.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

FAIL_REASON = "fail_reason"  # why a trial failed: one line, shown on the leaderboard
PRUNED_REASON = "pruned_reason"  # why it was pruned or skipped ("skipped: ..." for time or a duplicate)
INTERRUPTED_ATTR = "interrupted"  # the trial's process was killed or its worker lost, not a failure of the model
WORKER = "worker"  # host:pid of the process that ran it
METRICS = "metrics"  # every metric of the task on its validation predictions
FIT_SECONDS = "fit_seconds"  # fitting all folds
PREDICT_MS_PER_1K = "predict_ms_per_1k"  # predicting 1,000 validation rows
SIZE_BYTES = "size_bytes"  # its saved fold models
TRAIN_ROWS_PER_SECOND = "train_rows_per_second"
REFIT_PARAMS = "refit_params"  # the parameters to refit with on all the data (e.g. boosting rounds found)
TIE_BREAK_ATTR = "tie_break_metric"  # on the study: the metric that orders tied trials (MetricSpec.tie_breaker)


@dataclass(frozen=True)
class TrialRecord:
    """A trial's user attributes with the types automl writes.

    The journal can be edited by anyone holding the run folder, so a value of
    another type (a text for a number, NaN, 10**400, a list for an object)
    reads as missing: None, an empty text or an empty mapping, never a traceback.
    """

    metrics: dict[str, float] = field(default_factory=dict)
    fit_seconds: float | None = None
    predict_ms_per_1k: float | None = None
    size_bytes: int | None = None
    train_rows_per_second: float | None = None
    refit_params: dict[str, Any] | None = None
    worker: str = ""
    fail_reason: str = ""
    pruned_reason: str = ""
    interrupted: bool = False

    @classmethod
    def of(cls, attrs: Mapping[str, Any]) -> TrialRecord:
        refit = attrs.get(REFIT_PARAMS)
        return cls(
            metrics=finite_numbers(attrs.get(METRICS)),
            fit_seconds=finite_number(attrs.get(FIT_SECONDS)),
            predict_ms_per_1k=finite_number(attrs.get(PREDICT_MS_PER_1K)),
            size_bytes=count(attrs.get(SIZE_BYTES)),
            train_rows_per_second=finite_number(attrs.get(TRAIN_ROWS_PER_SECOND)),
            refit_params=refit if isinstance(refit, dict) and refit else None,
            worker=text(attrs.get(WORKER)),
            fail_reason=text(attrs.get(FAIL_REASON)),
            pruned_reason=text(attrs.get(PRUNED_REASON)),
            interrupted=attrs.get(INTERRUPTED_ATTR) is True,
        )

    @property
    def skipped(self) -> bool:
        """Pruned before it ran: its family's expected time did not fit, or it repeated another trial."""
        return self.pruned_reason.startswith("skipped")


def finite_number(value: Any) -> float | None:
    """A finite number as automl records it, else None (a text, a list, NaN, 10**400 from an edited journal)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return value if math.isfinite(number) else None


def count(value: Any) -> int | None:
    number = finite_number(value)
    return int(number) if number is not None and number >= 0 and number < 2**63 else None


def text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def finite_numbers(value: Any) -> dict[str, Any]:
    """An object of named finite numbers (metrics, ensemble weights); other entries are left out."""
    return {str(k): v for k, v in mapping(value).items() if finite_number(v) is not None}
