"""The ``automl`` command with a refit that starts after its deadline: the time budget has ended by the
time the final model is refit, as when a search used its whole share. The first member keeps its trial's
fold models and every other member of an ensemble is left out (tests only).
"""

from __future__ import annotations

import time

from automl.search.clock import RunClock


def _already_past(_clock: RunClock) -> float:
    return time.time() - 1.0


RunClock.refit_deadline = _already_past  # type: ignore[method-assign]

if __name__ == "__main__":
    from automl.cli import main

    main()
