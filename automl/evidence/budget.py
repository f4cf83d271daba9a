"""The time a report may take: what is left of the fit's time budget.

``automl fit`` writes the report as the last step of a budgeted run, so the
report's slow, optional parts (permutation importance) shrink to the time left
instead of running their full course. Outside a fit there is no limit here;
each part keeps its own cap.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from contextlib import contextmanager

_deadline: float | None = None


@contextmanager
def ending_by(deadline: float | None) -> Iterator[None]:
    """Within the block, :func:`seconds_left` counts down to ``deadline`` (None: no limit)."""
    global _deadline  # noqa: PLW0603 - one report is written at a time, by the command's own thread
    previous, _deadline = _deadline, deadline
    try:
        yield
    finally:
        _deadline = previous


def seconds_left() -> float:
    """Seconds until the report's deadline, infinite without one (never below zero)."""
    return math.inf if _deadline is None else max(0.0, _deadline - time.time())
