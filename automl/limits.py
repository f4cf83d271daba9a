"""Caps on what one input may make automl allocate or start.

A 98 KB CSV with 1,000 classes once grew the report to 23 GB (a 1,000 x 1,000
confusion matrix drawn as a 450-inch figure), and ``--workers 100000``
started processes without end. Everything here turns a size that comes from
the user's data or command line into a bounded one, before the allocation:

* per-class charts and tables draw the ``MAX_CLASSES_DRAWN`` most frequent
  classes and fold the rest into one "others" group;
* a step that would need more than ``MEMORY_CAP_BYTES`` at once is skipped
  (or done in chunks), and says so in the report;
* local search processes are capped by the CPUs and by the trial budget.

The caps are module constants so a test (or a user with a big machine) can
raise them; none of them changes a result that fits under it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

MAX_CLASSES_DRAWN = 20  # classes one chart or table shows; the rest are one "others" row
MEMORY_CAP_BYTES = 1 << 30  # one step of the report or of a model may hold this much at once
MAX_CANVAS_BYTES = 128 << 20  # one chart's pixels (about 5,800 px square): far more than any readable chart
MAX_TREES = 50_000  # trees one boosted model may hold (rounds x classes)
MIN_ROUNDS = 10
CANVAS_DPI = 100  # Matplotlib's default: what the Agg renderer behind tight_layout allocates per inch


def others_label(n_others: int) -> str:
    """The name of the group that stands for the classes not drawn, with how many it holds."""
    return f"({n_others:,} others)"  # short: an axis label is cut at 14 characters


def largest_classes(y: np.ndarray, n_classes: int, limit: int = MAX_CLASSES_DRAWN) -> list[int]:
    """The ``limit`` most frequent class codes of ``y``, most frequent first (ties: the lower code)."""
    counts = np.bincount(np.asarray(y, dtype=int), minlength=n_classes)
    order = np.lexsort((np.arange(len(counts)), -counts))
    return [int(k) for k in order[:limit]]


def group_codes(codes: np.ndarray, kept: Sequence[int], n_classes: int) -> np.ndarray:
    """Class codes mapped to positions in ``kept``; every other class becomes ``len(kept)`` ("others")."""
    position = np.full(n_classes, len(kept), dtype=int)
    position[np.asarray(kept, dtype=int)] = np.arange(len(kept))
    return position[np.asarray(codes, dtype=int)]


def top_with_others(counts: Mapping[str, int], limit: int = MAX_CLASSES_DRAWN) -> dict[str, int]:
    """A ``{class: rows}`` table cut to the ``limit`` largest, plus one "others" entry summing the rest."""
    if len(counts) <= limit:
        return dict(counts)
    ranked = sorted(counts.items(), key=lambda item: -item[1])  # stable: equal counts keep their order
    kept = dict(ranked[:limit])
    rest = ranked[limit:]
    kept[others_label(len(rest))] = sum(count for _, count in rest)
    return kept


def array_bytes(shape: Sequence[int], itemsize: int = 8) -> int:
    """Bytes of a dense array of ``shape`` (float64 unless told), computed without allocating it."""
    return int(math.prod(int(n) for n in shape)) * int(itemsize)


def too_big(n_bytes: float, cap: float | None = None) -> bool:
    return n_bytes > (MEMORY_CAP_BYTES if cap is None else cap)


def human_bytes(n_bytes: float) -> str:
    for unit in ("bytes", "KB", "MB", "GB"):
        if n_bytes < 1024:
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} TB"


def skipped_note(what: str, n_bytes: float, why: str = "") -> str:
    """The report's sentence for a step left out because of its size."""
    reason = f" ({why})" if why else ""
    return (f"{what} left out: it would need {human_bytes(n_bytes)} of memory at once{reason}, "
            f"more than the {human_bytes(MEMORY_CAP_BYTES)} a report step may use.")


def rows_per_chunk(bytes_per_row: float, cap: float | None = None) -> int:
    """How many rows fit in one chunk of at most ``cap`` bytes (at least one)."""
    return max(1, int((MEMORY_CAP_BYTES if cap is None else cap) // max(bytes_per_row, 1)))


def canvas_bytes(width_inches: float, height_inches: float, dpi: float = CANVAS_DPI) -> int:
    """The RGBA buffer a Matplotlib figure of this size needs when it is laid out or rasterised."""
    return int(width_inches * dpi) * int(height_inches * dpi) * 4


def boosting_rounds(max_rounds: int, trees_per_round: int, max_trees: int | None = None) -> int:
    """Rounds a boosted model may grow when each round adds one tree per class.

    A multiclass booster grows ``classes`` trees a round: 1,000 classes turn the
    usual 1,000 rounds into a million trees, gigabytes and hours. The rounds are
    cut so that the trees stay under ``MAX_TREES`` (at least ``MIN_ROUNDS``).
    """
    cap = (MAX_TREES if max_trees is None else max_trees) // max(1, trees_per_round)
    return int(min(max_rounds, max(MIN_ROUNDS, cap)))


def cap_workers(requested: int, cpus: int, trials: int | None) -> tuple[int, str | None]:
    """Local search processes: at most one per CPU, and never more than the trials there are to run.

    Each worker is a whole Python process with the data and its models, so more
    workers than CPUs only add memory and contention; more than ``--trials``
    leaves the extra ones with nothing to do. Returns the number to use and a
    ``note:`` line when it is not what was asked.
    """
    limit = max(1, cpus)
    why = f"{cpus} CPU{'s' if cpus != 1 else ''} available"
    if trials is not None and trials < limit:
        limit, why = trials, f"--trials {trials}"
    if requested <= limit:
        return requested, None
    return limit, f"--workers {requested} capped to {limit} ({why})"

