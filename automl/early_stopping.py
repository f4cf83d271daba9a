"""Early stopping for plugins that train in epochs: keep the best epoch's weights, stop after ``patience`` bad ones.

Plugin authors' training loops all need the same bookkeeping; it works with
anything that has ``state_dict()`` and ``load_state_dict()`` (a torch module),
and imports nothing itself.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Better = Callable[[Any, Any], bool]  # better(new, old): True when ``new`` is strictly better


class EarlyStopping:
    def __init__(self, patience: int, better: Better) -> None:
        self.patience, self.better = patience, better
        self.best: Any = None
        self.best_epoch = 0
        self.stale = 0
        self._state: dict[str, Any] | None = None

    def update(self, epoch: int, score: Any, model: Any) -> bool:
        """Record an epoch's validation score; returns True when it is the best so far (its weights are kept)."""
        if self.best is None or self.better(score, self.best):
            self.best, self.best_epoch, self.stale = score, epoch, 0
            self._state = copy.deepcopy(model.state_dict())
            return True
        self.stale += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.stale >= self.patience

    def restore(self, model: Any) -> None:
        """Load the best epoch's weights back into ``model`` (no-op when nothing was scored)."""
        if self._state is not None:
            model.load_state_dict(self._state)


def stop_reason(interrupted: bool, stopper: EarlyStopping) -> str | None:
    """Why an epoch loop must end now, or None to go on."""
    if interrupted:
        return "deadline"
    return "early stopping" if stopper.should_stop else None
