"""Which trials ran: the one definition behind every count a user reads.

Two kinds of trial sit in a study without having fitted anything: a queued
trial (a family's defaults or portfolio, enqueued before the search, state
WAITING) that the budget ended before, and a trial the search skipped (state
PRUNED, ``pruned_reason`` starting with "skipped": its parameters had run
before, or it would not have ended in the time left). Neither is a trial that
ran; counting them told stakeholders "10 trials" when 7 ran, "3 waiting", and
called skipped trials pruned.
"""

from __future__ import annotations

from collections.abc import Iterable

import optuna
from optuna.trial import FrozenTrial, TrialState

from automl.trial_attrs import PRUNED_REASON

SKIPPED_PREFIX = "skipped"


def skipped(trial: FrozenTrial) -> bool:
    """A trial the search decided not to fit."""
    return trial.state == TrialState.PRUNED and str(trial.user_attrs.get(PRUNED_REASON, "")).startswith(
        SKIPPED_PREFIX)


def ran(trial: FrozenTrial) -> bool:
    """A trial that started fitting a model: not queued and never started, not skipped."""
    return trial.state != TrialState.WAITING and not skipped(trial)


def trials_run(study: optuna.Study) -> int:
    return sum(1 for t in study.get_trials(deepcopy=False) if ran(t))


def state_counts(trials: Iterable[FrozenTrial]) -> dict[str, int]:
    """Trials that ran, by how they ended ("complete", "pruned", "fail", "running"); queued and skipped left out."""
    counts: dict[str, int] = {}
    for trial in trials:
        if ran(trial):
            name = trial.state.name.lower()
            counts[name] = counts.get(name, 0) + 1
    return counts


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``1 trial``, ``2 trials``: a count with its noun in the right number."""
    return f"{count} {noun if count == 1 else (many or noun + 's')}"

