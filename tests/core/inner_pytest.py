"""What an inner ``pytest -q`` run reported: a zero exit code alone also passes a run whose every test skipped."""

from __future__ import annotations

import re
import subprocess

_COUNT = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed|deselected)")


def outcome_counts(done: subprocess.CompletedProcess) -> dict[str, int]:
    """The counts of pytest's last summary line (``12 passed, 1 skipped in 3.1s``)."""
    summary = next((line for line in reversed(done.stdout.splitlines()) if " in " in line and _COUNT.search(line)),
                   "")
    return {kind.rstrip("s") if kind.startswith("error") else kind: int(n) for n, kind in _COUNT.findall(summary)}


def assert_all_ran_and_passed(done: subprocess.CompletedProcess, at_least: int) -> None:
    """Exit code 0, at least ``at_least`` tests passed, and none skipped, failed or in error."""
    counts = outcome_counts(done)
    tail = done.stdout[-4000:] + done.stderr[-2000:]
    assert done.returncode == 0, tail
    assert counts.get("passed", 0) >= at_least, (counts, tail)
    assert not (counts.get("skipped") or counts.get("failed") or counts.get("error")), (counts, tail)
