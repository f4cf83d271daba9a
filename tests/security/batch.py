"""Run a batch of cases in a child process, and a new child after each one that kills it.

The child (``fuzz_driver.py`` or ``hostile.py``) writes the id of the case it
starts to ``WORK/progress.txt`` and one JSON line per finished case to
``WORK/results.jsonl``, skipping the cases already there. When it dies (a
signal from a native crash, a memory limit, a timeout), the case in
``progress.txt`` is recorded as a crash and another child goes on with the
next one. The child gets a cap on its address space, so a runaway allocation
fails in it instead of pushing the machine into swap.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

MEMORY_LIMIT = 4 * 2**30  # bytes of address space for a child
# One thread for OpenMP: the CLI starts a process per command, so the model loader's forked probe
# (automl/probe.py) runs before any LightGBM thread pool exists; in one long-lived child it would come after
# one, and a fork after OpenMP started its threads hangs in the forked process.
CHILD_ENV = {"PYTHONFAULTHANDLER": "1", "OMP_NUM_THREADS": "1"}


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


def results(work: Path) -> list[dict[str, Any]]:
    path = work / "results.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def drive(script: Path, work: Path, child_timeout: float, max_restarts: int = 25) -> list[dict[str, Any]]:
    """Run ``script WORK`` until it exits 0; the crash records of the children that did not."""
    crashes: list[dict[str, Any]] = []
    for _ in range(max_restarts):
        child = subprocess.Popen([sys.executable, str(script), str(work)], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, errors="replace", preexec_fn=_limit_memory,
                                 env={**os.environ, **CHILD_ENV}, start_new_session=True)
        try:
            _, stderr = child.communicate(timeout=child_timeout)
            code: int | str = child.returncode
        except subprocess.TimeoutExpired:
            code = f"killed after {child_timeout:.0f} s"
            _kill_group(child.pid)
            _, stderr = child.communicate()
        _kill_group(child.pid)  # anything the child forked (a model probe) and left behind
        if code == 0:
            return crashes
        progress = work / "progress.txt"
        current = progress.read_text().strip() if progress.exists() else ""
        if not current:
            raise RuntimeError(f"{script.name} failed outside any case (exit {code}):\n{stderr[-3000:]}")
        record = {"id": current, "crash": f"the process died: exit {code}", "stderr": stderr[-1500:],
                  "outcomes": [], "outside_writes": [], "problems": [f"the process died (exit {code}) in this case"]}
        crashes.append(record)
        with (work / "results.jsonl").open("a") as out:
            out.write(json.dumps(record) + "\n")
        progress.write_text("")
    raise RuntimeError(f"{script.name} died {max_restarts} times: {[c['id'] for c in crashes]}")
