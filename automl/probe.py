"""Load a foreign model in a forked child first, so a native crash becomes one error line.

The formats allowed in a run folder run no code, but their readers are native
libraries: a LightGBM ``model.txt`` cut short, for one, makes LightGBM crash
the whole process with a segmentation fault. For a folder this machine did not
sign (:mod:`automl.signing`), the models are therefore loaded once in a child
process: when it dies by a signal, runs out of time, or raises, the user gets
one :class:`UserError` naming the files, and the parent never touches them.
A signed folder skips the probe: its files are the ones automl wrote here.

The child's standard output and error go to ``/dev/null`` (a native library
may print before it crashes); its answer comes back over a pipe as text, never
as a pickled object.
"""

from __future__ import annotations

import os
import select
import signal
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from automl.errors import UserError

PROBE_SECONDS = 300.0  # a fine-tuned Transformer loads in seconds; a hang is stopped
_MAX_ANSWER = 4096


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def describe(folder: Path, limit: int = 6) -> str:
    """``folder (files: a, b, ...)``: what the error line names."""
    try:
        names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    except OSError:
        names = []
    shown = ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")
    return f"{folder} (files: {shown})" if names else str(folder)


def _child(work: Callable[[], object], write_end: int) -> None:
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    try:
        _one_thread()
        work()
        answer = "ok"
    except UserError as exc:
        answer = "user:" + str(exc)
    except BaseException as exc:  # noqa: BLE001 - every failure goes back to the parent as text
        answer = f"error:{type(exc).__name__}: {exc}"
    try:
        os.write(write_end, answer.encode("utf-8", "replace")[:_MAX_ANSWER])
    finally:
        os._exit(0)


def _one_thread() -> None:
    """Run the child's native code on one thread.

    A forked child inherits the parent's OpenMP thread pool (GNU libgomp) as
    data only, without its threads: the first parallel region in the child
    would wait for them forever. With one thread, no region needs the pool.
    """
    os.environ["OMP_NUM_THREADS"] = "1"
    try:
        from threadpoolctl import threadpool_limits

        threadpool_limits(1)
    except Exception:  # noqa: BLE001 - without threadpoolctl, only the environment variable applies
        pass


def _read_answer(read_end: int, pid: int, deadline: float) -> bytes | None:
    """The child's answer, or None when it ran past the deadline (it is killed)."""
    chunks: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            os.kill(pid, signal.SIGKILL)
            return None
        ready, _, _ = select.select([read_end], [], [], min(left, 1.0))
        if not ready:
            continue
        chunk = os.read(read_end, _MAX_ANSWER)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def in_child(work: Callable[[], object], what: str, timeout: float = PROBE_SECONDS) -> None:
    """Run ``work()`` in a forked child; raise one :class:`UserError` about ``what`` unless it succeeds."""
    if not hasattr(os, "fork"):  # Windows: no fork; the formats alone keep the load free of code
        return
    read_end, write_end = os.pipe()
    try:
        pid = os.fork()
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        raise UserError(f"cannot start a process to try loading {what} first ({exc.strerror}); free some memory "
                        "or processes and retry") from exc
    if pid == 0:  # pragma: no cover - the child; coverage does not follow a fork
        os.close(read_end)
        _child(work, write_end)
    os.close(write_end)
    try:
        answer = _read_answer(read_end, pid, time.monotonic() + timeout)
    finally:
        os.close(read_end)
    _, status = os.waitpid(pid, 0)
    if answer is None:
        raise UserError(f"loading {what} took more than {timeout:.0f}s in a test process and was stopped; "
                        "the run directory is damaged or was modified; refusing to load it")
    if os.WIFSIGNALED(status):
        name = signal.Signals(os.WTERMSIG(status)).name
        raise UserError(f"loading {what} crashed the model's library ({name}): a file is corrupt or was "
                        "modified; refusing to load it")
    text = answer.decode("utf-8", "replace")
    if text == "ok":
        return
    if text.startswith("user:"):
        raise UserError(_one_line(text[len("user:"):], 1000))
    detail = text[len("error:"):] if text.startswith("error:") else f"exit status {os.WEXITSTATUS(status)}"
    raise UserError(f"loading {what} failed ({_one_line(detail)}): the run directory is damaged or was "
                    "modified; refusing to load it")


def probe_each(items: Iterable[tuple[str, Callable[[], object]]]) -> None:
    """Probe several loads, one child each, so the error names the one that failed."""
    for what, work in items:
        in_child(work, what)
