"""The hostile corpus of issue 15: one function per attack, run in a child by tests/security/test_hostile_corpus.py.

``python hostile.py WORK`` reads ``WORK/config.json`` (the fitted runs of
tests/security/conftest.py), runs every case of :data:`CASES` not yet in
``WORK/results.jsonl`` and appends ``{"id", "problems", "seconds"}`` for each:
an empty list of problems is a pass. The case id is written to
``WORK/progress.txt`` first, so a case that kills the process (a native crash)
is recorded by the parent (tests/security/batch.py) and the next child goes on.

Each case gets a fresh folder (``ctx.root``) with its own copy of the runs it
attacks. Commands run in-process through click's CliRunner with ``sys.argv``
set as a shell would set it (the CLI scrubs what was typed), under an alarm
(a hang is a problem) and a memory cap on this process. The safe outcome of
an attack is: exit 2 with exactly one ``error:`` line (``warning:`` and
``note:`` lines may precede it), no traceback, no code executed (the payloads
create a marker file), no secret printed or written, nothing of the user's
changed or deleted, no raw control character on the terminal.

This module is the entry point and the loop; the framework (the registry,
checks, payloads and the context of a case) is in hostile_kit.py and the cases
are in the ``hostile_cases_*.py`` modules, imported here in section order so
that :data:`CASES` keeps the corpus's order.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import resource
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# isort: off
# the case modules register their cases when imported: in section order, the order the corpus runs in
import hostile_cases_code  # noqa: F401 - 1. no code runs on load, 2. secrets
import hostile_cases_files  # noqa: F401 - 3. the user's data, 4. bounded resources
import hostile_cases_output  # noqa: F401 - 5. clean output
import hostile_cases_lines  # noqa: F401 - 6. one line, exit 2; image weights
import hostile_cases_paths  # noqa: F401 - more: paths, links, hostile JSON
# isort: on
from hostile_kit import CASE_TIMEOUT, CASES, MEMORY_HEADROOM, Ctx, Hang

__all__ = ["CASES", "main"]


# -- the loop -----------------------------------------------------------------------------------------------------
def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang()


@contextlib.contextmanager
def limits(seconds: float) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    used = _address_space()
    cap = used + MEMORY_HEADROOM if used else soft
    if soft != resource.RLIM_INFINITY:
        cap = min(cap, soft)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _address_space() -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/self/statm").read_text().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    return 0


def main(work: Path) -> int:
    config = json.loads((work / "config.json").read_text())
    results_path, progress = work / "results.jsonl", work / "progress.txt"
    done = set()
    if results_path.exists():
        done = {json.loads(line)["id"] for line in results_path.read_text().splitlines() if line.strip()}
    import fuzz_driver
    from click.testing import CliRunner

    from automl.cli import cli

    fuzz_driver.lighten()  # fewer bootstrap samples in reports: the same code paths in less time
    from automl.search import clock

    # 'automl fit' counts its time budget from the process start; here one process runs every case, so each
    # command's clock starts when the command does, as it would in a process of its own
    clock.process_started = time.time
    runner = CliRunner()
    signal.signal(signal.SIGALRM, _on_alarm)
    shared: dict[str, Any] = {}
    only = set(config.get("only") or CASES)
    with results_path.open("a") as results:
        for name, fn in CASES.items():
            if name in done or name not in only:
                continue
            progress.write_text(name)
            root = work / "cases" / re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            if root.exists():
                shutil.rmtree(root)
            root.mkdir(parents=True)
            ctx = Ctx(root, config, runner, cli, shared)
            started = time.monotonic()
            try:
                with limits(CASE_TIMEOUT):
                    problems = fn(ctx)
            except Hang:
                problems = [f"hang: still running after {CASE_TIMEOUT:.0f} s"]
            except Exception as exc:  # noqa: BLE001 - a case that raises is a failing case, with its traceback
                problems = [f"the case raised {type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}"]
            if ctx.marker.exists():
                problems.append("CODE RAN: the payload's marker file exists")
            results.write(json.dumps({"id": name, "problems": problems,
                                      "seconds": round(time.monotonic() - started, 2)}) + "\n")
            results.flush()
            shutil.rmtree(root, ignore_errors=True)
    progress.write_text("")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
