"""A trial's model fitting in a child process that the search can kill.

Models stop by themselves at their deadline when they can (boosting rounds,
epochs), but a model stuck in native code, a deadlock or an infinite loop
never looks at the clock. With ``--trial-timeout``, each trial's fitting runs
in a forked child: the parent keeps the study, answers the child's pruning
questions, and kills the child when the timeout (plus a grace period for a
clean stop) has passed. A child that dies (out of memory, a segfault) fails
its trial with the reason, and the search goes on.

``fork`` is used because the child needs the loaded data set and a fork shares
it for free; the parent never fits a model while searching in this mode, so
no OpenMP thread pool is copied half-initialised into a child.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import optuna

GRACE_SECONDS = 5.0
POLL_SECONDS = 0.5
Reporter = Callable[[int, float], None]


class TrialTimeout(RuntimeError):
    """The trial ran past its timeout and was killed."""


class ChildFailed(RuntimeError):
    """The model raised in the child; the message already names the exception type."""


class TrialProcessDied(RuntimeError):
    """The child process ended without an answer: killed, out of memory or crashed."""


def hard_deadline(timeout: float) -> float:
    """When the child is killed: the timeout plus a grace period for a clean stop at the soft deadline."""
    return time.time() + timeout + max(GRACE_SECONDS, 0.1 * timeout)


def run_isolated(work: Callable[[Reporter], Any], report: Reporter, deadline: float) -> Any:
    """``work(report)`` in a forked child; its result, or its exception as TrialPruned / RuntimeError."""
    context = multiprocessing.get_context("fork")
    parent_end, child_end = context.Pipe()
    handle, result_path = tempfile.mkstemp(prefix="automl-trial-", suffix=".pkl")
    os.close(handle)
    process = context.Process(target=_child, args=(work, child_end, result_path), daemon=True)
    process.start()
    child_end.close()
    try:
        return _serve(process, parent_end, report, deadline, Path(result_path))
    finally:
        if process.is_alive():
            _kill(process)
        process.join(timeout=5)
        parent_end.close()
        Path(result_path).unlink(missing_ok=True)


def _serve(process: Any, conn: Any, report: Reporter, deadline: float, result_path: Path) -> Any:
    started = time.time()
    while True:
        if time.time() >= deadline:
            _kill(process)
            raise TrialTimeout(f"killed after {time.time() - started:.0f}s: the trial ran past --trial-timeout")
        if not conn.poll(min(POLL_SECONDS, max(deadline - time.time(), 0.01))):
            if not process.is_alive():
                raise TrialProcessDied(_death(process))
            continue
        try:
            kind, payload = conn.recv()
        except EOFError:
            process.join(timeout=5)
            raise TrialProcessDied(_death(process)) from None
        if kind == "report":
            conn.send(_answer(report, *payload))
        elif kind == "done":
            with result_path.open("rb") as handle:
                return pickle.load(handle)  # written by our own child a moment ago
        elif kind == "pruned":
            raise optuna.TrialPruned(payload)
        else:
            raise ChildFailed(payload)


def _answer(report: Reporter, step: int, value: float) -> tuple[str, str]:
    try:
        report(step, value)
    except optuna.TrialPruned as exc:
        return "prune", str(exc)
    return "go", ""


def _child(work: Callable[[Reporter], Any], conn: Any, result_path: str) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle

    def report(step: int, value: float) -> None:
        conn.send(("report", (step, value)))
        verdict, reason = conn.recv()
        if verdict == "prune":
            raise optuna.TrialPruned(reason)

    try:
        result = work(report)
        with open(result_path, "wb") as handle:
            pickle.dump(result, handle, protocol=pickle.HIGHEST_PROTOCOL)
        conn.send(("done", None))
    except optuna.TrialPruned as exc:
        conn.send(("pruned", str(exc)))
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as a reason
        conn.send(("error", f"{type(exc).__name__}: {exc}"[:500]))
    finally:
        conn.close()
        os._exit(0)  # no atexit handlers or inherited resources of the parent


def _kill(process: Any) -> None:
    process.kill()
    process.join(timeout=5)


def _death(process: Any) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        name = signal.Signals(-code).name
        hint = ", most likely out of memory" if -code == signal.SIGKILL else ""
        return f"the trial's process was killed by {name}{hint}"
    return f"the trial's process ended with exit code {code} without a result"
