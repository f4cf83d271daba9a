"""What running the final model costs: measured once at the end of a run, read by the report.

Latency is timed on the training rows already in memory, through the same
saved members that ``automl predict`` loads, so it includes their real
preprocessing; memory is the peak resident size of the search and its workers.
"""

from __future__ import annotations

import json
import logging
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

from automl import atomic, integrity

DEPLOYMENT_FILE = "deployment.json"
BATCH_ROWS = 1000
SINGLE_ROW_REPEATS = 5
MIN_BATCH_ROWS = 10
BUDGET_SHARE = 0.2  # of the time budget left when it is measured: what the timed batch may take


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def peak_memory_mb() -> float:
    """Peak resident memory of this process or its largest worker, in MB (Linux reports KB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return round(max(own, children) / 1024, 1)


def _timed_ms(predict: Any) -> float:
    started = time.perf_counter()
    predict()
    return (time.perf_counter() - started) * 1000


def batch_rows(n: int, ms_per_row: float, seconds: float | None) -> int:
    """Rows of the timed batch: up to :data:`BATCH_ROWS`, fewer when one row at a time would not fit in ``seconds``.

    A fine-tuned Transformer predicts about 50 rows a second on a loaded
    2-core machine: a batch of 1,000 took 20 s of a 60 s budget (the run
    ended 16 s late). The batch's size is reported beside its latency.
    """
    rows = min(BATCH_ROWS, n)
    if seconds is not None and ms_per_row > 0:
        rows = min(rows, max(MIN_BATCH_ROWS, int(1000 * max(seconds, 0.0) / ms_per_row)))
    return max(1, min(rows, n))


def measure(best: Path, members: list[tuple[Any, float]], X: Any, seconds: float | None = None) -> dict[str, Any]:
    """Write ``deployment.json``: model size, latency for one row and for a batch, peak memory.

    ``seconds``: about how long the batch may take (a share of the time budget left), or None for no limit.
    """
    from automl.specs import take

    facts: dict[str, Any] = {"model_bytes": folder_bytes(best), "peak_memory_mb": peak_memory_mb()}
    try:
        n = len(X)
        one = take(X, np.arange(1))

        def predict(rows: Any) -> None:
            for model, _ in members:
                model.predict(rows)

        predict(one)  # the first call pays for lazy imports and caches
        facts["ms_per_row"] = round(float(np.median([_timed_ms(lambda: predict(one))
                                                     for _ in range(SINGLE_ROW_REPEATS)])), 3)
        rows = batch_rows(n, facts["ms_per_row"], seconds)
        batch = take(X, np.arange(rows))
        facts["batch_rows"] = rows
        facts["ms_per_batch"] = round(_timed_ms(lambda: predict(batch)), 3)
    except Exception as exc:  # noqa: BLE001 - a model that cannot time itself still has a report
        logging.getLogger(__name__).info("latency not measured: %s", exc)
    atomic.write_text(best / DEPLOYMENT_FILE, json.dumps(facts, indent=2) + "\n")
    integrity.add_file(best, DEPLOYMENT_FILE)  # written after the model was saved: recorded now
    return facts


def load(best: Path) -> dict[str, Any]:
    path = best / DEPLOYMENT_FILE
    if not path.is_file():
        return {}
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return {}
