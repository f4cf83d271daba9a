"""A trial's model fitting in a child process that the search can kill.

Models stop by themselves at their deadline when they can (boosting rounds,
epochs), but a model stuck in native code, a deadlock or an infinite loop
never looks at the clock. With ``--trial-timeout``, each trial's fitting runs
in a forked child: the parent keeps the study, answers the child's pruning
questions, and kills the child when the timeout (plus a grace period for a
clean stop) has passed. With a time budget every trial runs so, killed shortly
after the search's deadline, which keeps the budget whatever the model does.
A child that dies (out of memory, a segfault) fails its trial with the reason,
and the search goes on.

``fork`` is used because the child needs the loaded data set and a fork shares
it for free; the parent never fits a model while searching in this mode, so
no OpenMP thread pool is copied half-initialised into a child.

Parent and child talk over a socket pair made before the fork (nothing on
disk another user could replace), in :mod:`automl.search.wire`'s format:
JSON and raw numpy buffers, never a pickle. The parent reads while the child
writes, a piece at a time, so a large result never blocks the child and the
deadline still holds while it comes in.
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

import optuna

from automl.search import wire

GRACE_SECONDS = 5.0
BUDGET_GRACE_SHARE = 0.02  # of the search time: how long past the search deadline a trial may take to stop
POLL_SECONDS = 0.5
PR_SET_PDEATHSIG = 1  # prctl(2)
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


_budget_forks = False  # see allow_budget_forks


def allow_budget_forks() -> None:
    """Let a time budget run every trial in a killable child: called by processes that own their run.

    A child forked from a process that has already run OpenMP code (LightGBM,
    scikit-learn's histogram boosting, torch) hangs in its first parallel
    region: libgomp's thread pool is not copied, only its state. ``automl
    fit``, ``resume`` and ``worker`` (and the ``--workers`` processes they
    spawn) never run a model in the search process, so their forks are safe.
    A Python session may have trained anything before ``AutoML().fit()``: there
    trials are isolated only when ``trial_timeout`` asks for it.
    """
    global _budget_forks  # noqa: PLW0603 - a property of the whole process
    _budget_forks = True


def budget_forks_allowed() -> bool:
    return _budget_forks


def budget_grace(search_seconds: float | None) -> float:
    """Seconds past the search deadline before a trial is killed: a model that stops itself at the deadline
    still predicts its validation rows and hands them back, but the refit and the report wait for it."""
    if search_seconds is None:
        return GRACE_SECONDS
    return min(GRACE_SECONDS, max(1.0, BUDGET_GRACE_SHARE * search_seconds))


def preload(modules: Iterable[str | Callable[[], object]]) -> None:
    """Import ``modules`` (names, or functions that import something) here, in the process that forks the
    trials, so each child inherits them instead of importing them again (``ModelSpec.preload``). One that
    cannot be imported is left to the child, whose trial then fails with the model's own error message."""
    for entry in dict.fromkeys(modules):
        if isinstance(entry, str) and entry in sys.modules:
            continue
        try:
            entry() if callable(entry) else importlib.import_module(entry)
        except ImportError:
            continue


def run_isolated(work: Callable[[Reporter], Any], report: Reporter, deadline: float) -> Any:
    """``work(report)`` in a forked child; its result, or its exception as TrialPruned / ChildFailed.

    The result may hold only the types :mod:`automl.search.wire` sends (an
    estimator cannot come back: the child packs its models into a file).
    """
    context = multiprocessing.get_context("fork")
    parent_end, child_end = socket.socketpair()
    # not a daemon: joblib runs a daemon process's parallel loops on one core (a forest would fit on one);
    # the child never outlives this call, which kills or joins it
    process = context.Process(target=_child, args=(work, child_end, parent_end, os.getpid()), daemon=False)
    try:
        process.start()
    except BaseException:
        parent_end.close()
        raise
    finally:
        child_end.close()
    try:
        return _serve(process, parent_end, report, deadline)
    finally:
        if process.is_alive():
            _kill(process)
        process.join(timeout=5)
        parent_end.close()


def _serve(process: Any, sock: socket.socket, report: Reporter, deadline: float) -> Any:
    started = time.time()
    reader = wire.FrameReader(sock)
    while True:
        if time.time() >= deadline:
            _kill(process)
            raise TrialTimeout(f"killed after {time.time() - started:.0f}s: the trial ran past "
                               "its --trial-timeout or the end of the time budget")
        sock.settimeout(min(POLL_SECONDS, max(deadline - time.time(), 0.01)))
        try:
            message = reader.pump()
        except (EOFError, ConnectionError):
            process.join(timeout=5)
            raise TrialProcessDied(_death(process)) from None
        except wire.WireError as exc:
            raise ChildFailed(f"the trial's process sent an unreadable answer ({exc})") from None
        if message is None:
            if not process.is_alive():
                raise TrialProcessDied(_death(process))
            continue
        kind = message.get("kind") if type(message) is dict else None
        if kind == "report":
            try:
                wire.send(sock, _answer(report, message["step"], message["value"]))
            except OSError:  # the child died while the parent answered
                process.join(timeout=5)
                raise TrialProcessDied(_death(process)) from None
        elif kind == "done":
            _import(message["packages"])
            return message["result"]
        elif kind == "pruned":
            raise optuna.TrialPruned(message["reason"])
        elif kind == "error":
            raise ChildFailed(message["reason"])
        else:
            raise ChildFailed(f"the trial's process sent an unknown message ({kind!r})")


def _answer(report: Reporter, step: int, value: float) -> dict[str, str]:
    try:
        report(step, value)
    except optuna.TrialPruned as exc:
        return {"kind": "prune", "reason": str(exc)}
    return {"kind": "go", "reason": ""}


def _child(work: Callable[[Reporter], Any], sock: socket.socket, parent_end: socket.socket, parent: int) -> None:
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
        parent_end.close()  # else a dead parent's end stays open here, and waiting for its answer never ends
        _die_with_parent(parent)
        sock.settimeout(None)
        wire.send_frame(sock, _outcome(work, sock))
    except BaseException:  # noqa: BLE001 - the parent is gone or the pipe broke: nobody to tell
        pass
    finally:
        os._exit(0)  # no atexit handlers or inherited resources of the parent


def _outcome(work: Callable[[Reporter], Any], sock: socket.socket) -> list[Any]:
    """The frame that ends the child's conversation: its result, or why there is none.

    Encoded in full before anything is sent, so a result holding a type the
    format does not know (a TypeError naming it) fails the trial with that
    reason rather than leaving half a frame on the socket.
    """
    reader = wire.FrameReader(sock)

    def report(step: int, value: float) -> None:
        wire.send(sock, {"kind": "report", "step": int(step), "value": float(value)})
        answer = reader.read()
        if answer["kind"] == "prune":
            raise optuna.TrialPruned(answer["reason"])

    before = set(sys.modules)
    try:
        result = work(report)
        packages = sorted({name.split(".")[0] for name in set(sys.modules) - before})
        return wire.frame({"kind": "done", "packages": packages, "result": result})
    except optuna.TrialPruned as exc:
        return wire.frame({"kind": "pruned", "reason": str(exc)})
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as a reason
        return wire.frame({"kind": "error", "reason": f"{type(exc).__name__}: {exc}"[:500]})


def _die_with_parent(parent: int) -> None:
    """Ask Linux to kill this child when the search process dies (``kill -9``): no orphan keeps fitting."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):  # not Linux: the parent's kill at the deadline still applies
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


def _import(packages: list[str]) -> None:
    """Import in the parent the packages a child had to import (a model's library, torch), once.

    Each child is forked from the parent, so a library the parent never
    imported is imported again by every trial: a second or more for torch.
    Importing runs no model code, so no thread pool is started that a later
    fork would copy half-initialised.
    """
    for name in packages:
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - only a speed-up: a package that will not import is left to the child
                continue


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
