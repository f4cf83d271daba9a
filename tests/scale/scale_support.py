"""Helpers shared by the tests of tests/scale/: the CLI with the slow test model, polling, the study."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import optuna
from optuna.trial import TrialState

HERE = Path(__file__).parent
SLEEPY_CLI = [sys.executable, str(HERE / "sleepy_cli.py")]  # the automl command plus the slow test model


def wait_for(condition: Callable[[], object], timeout: float, every: float = 0.2) -> bool:
    """Poll ``condition()`` until it is true or ``timeout`` seconds have passed."""
    end = time.time() + timeout
    while time.time() < end:
        if condition():
            return True
        time.sleep(every)
    return bool(condition())


def study(url: str, name: str = "automl") -> optuna.Study:
    """The study, read with the driver automl picks (``postgresql://`` alone means psycopg 3 to SQLAlchemy 2.1)."""
    from automl.storage import full_url

    return optuna.load_study(study_name=name, storage=full_url(url))


def load(url: str, name: str = "automl") -> optuna.Study | None:
    try:
        return study(url, name)
    except KeyError:
        return None


def states(url: str, name: str = "automl") -> list[TrialState]:
    found = load(url, name)
    return [] if found is None else [t.state for t in found.get_trials(deepcopy=False)]


def start(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """``sleepy_cli.py ARGS`` in the background, its output in files of ``cwd`` (no pipe to fill up)."""
    log = cwd / f"{args[0]}-{time.monotonic_ns()}.log"
    with open(log, "w") as sink:
        process = subprocess.Popen([*SLEEPY_CLI, *args], cwd=cwd, env={**os.environ, **(env or {})},
                                   stdout=sink, stderr=subprocess.STDOUT)
    process.log = log  # type: ignore[attr-defined]
    return process


def output(process: subprocess.Popen) -> str:
    """What the process printed so far (standard output and error)."""
    return process.log.read_text(errors="replace")  # type: ignore[attr-defined]


def check_budget(found: optuna.Study, trials: int) -> list[optuna.trial.FrozenTrial]:
    """Exactly ``trials`` counted trials, every number once, nothing left running; returns the counted ones."""
    every = found.get_trials(deepcopy=False)
    numbers = [t.number for t in every]
    assert len(numbers) == len(set(numbers)), "a trial number appears twice"
    assert not [t for t in every if t.state == TrialState.RUNNING], "a trial was left RUNNING"
    counted = [t for t in every if t.state != TrialState.WAITING
               and not (t.state == TrialState.FAIL and t.user_attrs.get("interrupted"))]
    assert len(counted) == trials, [(t.number, t.state, t.user_attrs.get("fail_reason")) for t in every]
    return counted
