"""A live line during the search: trials done, best score, current model, time.

It is drawn on stderr only when that is a terminal and ``quiet`` is off, so
logs and pipes stay clean.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType
from typing import Any

import optuna
from optuna.trial import FrozenTrial, TrialState
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from automl.search.counts import plural, trials_run
from automl.specs import MetricSpec
from automl.terminal import printable

_REFRESH_SECONDS = 0.5


class SearchProgress:
    def __init__(
        self,
        study: optuna.Study,
        metric: MetricSpec,
        budget: Any,
        deadline: float | None,
        objective: Any,
        quiet: bool = False,
    ) -> None:
        self.study = study
        self.metric = metric
        self.deadline = deadline
        self.max_trials = budget.max_trials
        self.objective = objective
        self.console = Console(stderr=True)
        self.enabled = not quiet and self.console.is_terminal
        self.started = time.time()
        self.total = (deadline - self.started) if deadline else float(budget.max_trials or 1)
        self.done = 0
        self.best: float | None = None
        self._progress: Progress | None = None
        self._task: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> SearchProgress:
        if not self.enabled:
            return self
        self._progress = Progress(
            TextColumn("[bold]search[/]"),
            BarColumn(),
            TextColumn("{task.description}"),
            TimeElapsedColumn(),
            console=self.console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(self._describe(), total=self.total)
        self._thread = threading.Thread(target=self._tick, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread:
            self._thread.join(timeout=2)
        if self._progress:
            self._refresh()
            self._progress.stop()

    def on_trial(self, study: optuna.Study, trial: FrozenTrial) -> None:
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        self.done = trials_run(study)  # queued and skipped trials are not trials that ran
        if trials:
            values = [t.value for t in trials if t.value is not None]
            self.best = max(values) if self.metric.direction == "maximize" else min(values)

    def _describe(self) -> str:
        best = "-" if self.best is None else f"{self.best:.4f}"
        model = self.objective.current_model or "-"
        left = ""
        if self.deadline:
            left = f" · {max(0, self.deadline - time.time()):.0f}s left"
        # names come from run.json, which may have travelled: shown as text, never as rich markup or escapes
        return escape(printable(f"{plural(self.done, 'trial')} · best {self.metric.name} {best} · now {model}{left}"))

    def _refresh(self) -> None:
        if self._progress is None:
            return
        completed = min(self.total, time.time() - self.started) if self.deadline else self.done
        self._progress.update(self._task, completed=completed, description=self._describe())

    def _tick(self) -> None:
        while not self._stop.wait(_REFRESH_SECONDS):
            self._refresh()
