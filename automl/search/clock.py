"""The run's clock: one time budget for everything ``automl fit`` does.

``--time-budget`` is a promise about the whole command, as AutoGluon's
``time_limit`` and FLAML's ``time_budget`` are read: starting the process and
reading the data, the search, the ensemble and the refit, and the report
written at the end. The search therefore ends early enough to leave the
finishing steps their share, measured from when the process started (a slow
import or a big CSV is the user's time too).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

FINISH_SHARE = 0.1  # of the budget: the most the refit may be kept, when the best trial's refit needs it
MIN_FINISH_SHARE = 0.03  # of the budget: always kept for choosing the final model and refitting it
MIN_FINISH_SECONDS = 2.0
REPORT_SHARE = 0.05  # of the budget, for the leaderboard, the deployment measure and the report
REPORT_SECONDS = (8.0, 20.0)  # the report's reserve is held between these (7 to 12 s on census income, loaded)
REPORT_MAX_SHARE = 0.25  # but never more than this share of a small budget


def process_started() -> float:
    """The wall-clock time this process started (Linux), or now where that cannot be read."""
    try:
        with open("/proc/self/stat", encoding="ascii") as handle:
            fields = handle.read().rsplit(")", 1)[1].split()
        ticks = int(fields[19])  # field 22 of proc(5): start time after boot, in clock ticks
        with open("/proc/stat", encoding="ascii") as handle:
            boot = next(int(line.split()[1]) for line in handle if line.startswith("btime "))
        started = boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration):
        return time.time()
    return started if started <= time.time() else time.time()


def report_reserve(budget: float) -> float:
    """Seconds kept at the end of a run for the leaderboard and the report."""
    low, high = REPORT_SECONDS
    return min(max(REPORT_SHARE * budget, low), high, REPORT_MAX_SHARE * budget)


def finish_reserve(budget: float) -> float:
    """Seconds always kept after the search: choosing the final model, refitting it, then the report.

    Only a small share is kept for the refit whatever the search found; the
    search keeps more, up to :data:`FINISH_SHARE`, when its best trial's refit
    is measured to need it (:func:`refit_bounds`). A flat 10% left 300 s runs
    ending 40 s early: their refit took 5 s.
    """
    return refit_bounds(budget)[0] + report_reserve(budget)


def refit_bounds(budget: float | None) -> tuple[float, float]:
    """Seconds kept for the refit: always the first, at most the second when a measured refit needs more."""
    if budget is None:
        return 0.0, 0.0
    kept = max(MIN_FINISH_SHARE * budget, MIN_FINISH_SECONDS)
    return kept, max(kept, FINISH_SHARE * budget)


@dataclass(frozen=True)
class RunClock:
    """When this session of a run must end, and so when its search and its refit must end.

    ``end`` is the wall time by which the whole command ends; None without a time budget.
    """

    end: float | None
    budget: float | None

    @classmethod
    def start(cls, budget: float | None, spent: float = 0.0, started: float | None = None) -> RunClock:
        """The clock of a session that started at ``started`` (default: now), ``spent`` seconds of the budget used."""
        if budget is None:
            return cls(None, None)
        begin = time.time() if started is None else started
        return cls(begin + max(0.0, budget - spent), budget)

    def search_deadline(self) -> float | None:
        if self.end is None or self.budget is None:
            return None
        return self.end - finish_reserve(self.budget)

    def refit_deadline(self) -> float | None:
        if self.end is None or self.budget is None:
            return None
        return self.end - report_reserve(self.budget)

    def seconds_left(self) -> float | None:
        return None if self.end is None else self.end - time.time()
