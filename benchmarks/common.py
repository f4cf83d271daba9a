"""Helpers shared by every benchmark: measuring a process, describing the machine, storing rows.

Each system under test runs in its own child process, pinned to the same CPUs,
so wall time and peak memory are measured the same way for all of them and one
system's imports or leaked memory cannot flatter or penalise another. Results
are appended (never overwritten) to ``benchmarks/results/<name>.jsonl``, a
git-ignored folder, so a history of runs on one machine can be compared later.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
DOC_PATH = REPO_ROOT / "docs" / "BENCHMARKS.md"
DEFAULT_BUDGET = 120.0
DEFAULT_CORES = 2
POLL_SECONDS = 0.2


class BenchmarkError(Exception):
    """A problem the person running the benchmark must fix (missing data, too few cores): one line, no traceback."""


def require_files(folder: Path, names: Sequence[str], dataset: str, script: str, default: Path) -> list[Path]:
    """The data files, or one clear line saying which are missing and how to point at them."""
    paths = [folder / name for name in names]
    missing = [p for p in paths if not p.is_file()]
    if missing:
        raise BenchmarkError(
            f"{dataset} data not found: {', '.join(str(p.resolve()) for p in missing)} missing. Pass the folder "
            f"holding {', '.join(names)} ({script} --data DIR, or run.py --data-root PARENT); the default is "
            f"{default.resolve()}. The data is never copied into the repository."
        )
    return paths


@dataclass(frozen=True)
class Measured:
    """What one child process cost: exit code, wall seconds and peak resident memory."""

    returncode: int
    wall_seconds: float
    peak_mb: float
    timed_out: bool = False


def usable_cpus(cores: int) -> list[int]:
    """The first ``cores`` CPUs this process may run on; every system is pinned to exactly these.

    Pinning (rather than trusting each library's thread setting) makes "the same
    2 cores" hold even on a bigger machine, where libraries that size their
    thread pools from ``os.cpu_count()`` would otherwise use every core.
    """
    available = sorted(os.sched_getaffinity(0))
    if cores < 1 or cores > len(available):
        raise BenchmarkError(
            f"--cores {cores} asked for, but this process may use {len(available)} CPU(s): {available}"
        )
    return available[:cores]


def run_measured(
    command: Sequence[str], *, cpus: Sequence[int], log_path: Path, timeout: float, cwd: Path = REPO_ROOT,
) -> Measured:
    """Run ``command`` pinned to ``cpus``, its output to ``log_path``; measure wall time and peak RSS.

    ``os.wait4`` returns the rusage of this one child (including its own reaped
    children); ``resource.getrusage(RUSAGE_CHILDREN)`` would instead report the
    largest of *all* children so far, mixing up the systems.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OMP_NUM_THREADS": str(len(cpus)), "PYTHONUNBUFFERED": "1"}
    cpu_set = set(cpus)
    with log_path.open("w") as log:
        log.write(f"$ {shlex.join(command)}\n")
        log.flush()
        start = time.perf_counter()
        process = subprocess.Popen(
            list(command), cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT,
            preexec_fn=lambda: os.sched_setaffinity(0, cpu_set),
        )
        timed_out = False
        while True:
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() - start > timeout:
                timed_out = True
                process.kill()
                pid, status, usage = os.wait4(process.pid, 0)
                break
            time.sleep(POLL_SECONDS)
        wall = time.perf_counter() - start
        process.returncode = os.waitstatus_to_exitcode(status)  # keeps Popen from waiting on a reaped pid
    # Linux reports ru_maxrss in KiB.
    return Measured(process.returncode, wall, usage.ru_maxrss / 1024, timed_out)


def log_tail(path: Path, lines: int = 5) -> str:
    """The last lines of a child's log, to put the reason for a failure in the results table."""
    try:
        text = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    return " | ".join(line.strip() for line in text[-lines:])


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo (Linux), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def git_commit() -> str:
    """The commit benchmarked, with ``+dirty`` if the work tree has changes (results depend on them)."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "automl", "plugins"], cwd=REPO_ROOT,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("+dirty" if dirty else "")


def machine(cores: int) -> dict[str, Any]:
    """What a reader needs to judge the numbers: CPUs, model, Python, OS, date, commit and load.

    The load average at the start shows whether other work shared the CPUs,
    which would make the wall times incomparable.
    """
    return {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cores_used": cores,
        "cpu_model": cpu_model(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": time.strftime("%Y-%m-%d %H:%M:%S %z"),
        "commit": git_commit(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def invocation() -> str:
    """The command that started this process, as typed from the repository root."""
    executable = Path(sys.executable)
    with contextlib.suppress(ValueError):
        executable = executable.relative_to(Path.cwd())
    return shlex.join([str(executable), *sys.argv])


def append_results(name: str, rows: Sequence[dict[str, Any]]) -> Path:
    """Append one JSON line per system to ``results/<name>.jsonl``; earlier runs are kept."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.jsonl"
    with path.open("a") as out:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True, default=str) + "\n")
    return path


def _number(value: Any, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


METRIC_LABELS = {"roc_auc": "test ROC-AUC", "accuracy": "test accuracy", "ndcg": "test NDCG@10", "f1": "test F1 (spam)",
                 "mase": "test MASE (lower is better)"}


def markdown_table(rows: Sequence[dict[str, Any]]) -> str:
    """The results as a Markdown table; skipped or failed systems say so in the score column.

    The score is the rows' ``metric`` key (``roc_auc`` when absent).
    """
    metric = rows[0].get("metric", "roc_auc") if rows else "roc_auc"
    lines = [f"| system | {METRIC_LABELS.get(metric, metric)} | wall s | peak MB |", "|---|---:|---:|---:|"]
    for row in rows:
        auc = _number(row.get(metric), 4) if row["status"] == "ok" else row["status"]
        wall = _number(row.get("wall_seconds"), 1)
        peak = _number(row.get("peak_mb"), 0)
        lines.append(f"| {row['system']} | {auc} | {wall} | {peak} |")
    return "\n".join(lines)


def render_section(title: str, rows: Sequence[dict[str, Any]], info: dict[str, Any], command: str,
                   notes: Sequence[str] = (), smoke: bool = False) -> str:
    """One benchmark's section of docs/BENCHMARKS.md: machine, exact command, table and notes."""
    heading = f"## {title}" + (" — SMOKE RUN, not the real result" if smoke else "")
    parts = [heading, ""]
    if smoke:
        parts += [f"> Smoke run with a small budget ({rows[0]['budget']:g} s) to check the script works end to "
                  "end. The numbers below are **not** the benchmark result; run the command without `--budget` "
                  "for that.", ""]
    parts += [
        f"- Machine: {info['nproc']} CPUs available (`nproc`), {info['cores_used']} used, {info['cpu_model']}",
        f"- Python {info['python']} on {info['platform']}",
        f"- Date: {info['date']}, commit `{info['commit']}`"
        + (f", load average at start {info['load_average']}" if "load_average" in info else ""),
        "",
        "Command (from the repository root):",
        "",
        "```sh",
        command,
        "```",
        "",
        markdown_table(rows),
    ]
    if notes:
        parts += ["", *[f"- {note}" for note in notes]]
    return "\n".join(parts) + "\n"


def write_section(name: str, section: str, path: Path = DOC_PATH) -> Path:
    """Replace (or append) the section between ``<!-- bench:NAME -->`` markers, leaving the rest alone."""
    begin, end = f"<!-- bench:{name}:begin -->", f"<!-- bench:{name}:end -->"
    block = f"{begin}\n{section}{end}"
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    if begin in text and end in text:
        before, rest = text.split(begin, 1)
        after = rest.split(end, 1)[1]
        text = before + block + after
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def publish(name: str, title: str, rows: Sequence[dict[str, Any]], notes: Sequence[str], cores: int,
            docs: bool, full_budget: float = DEFAULT_BUDGET) -> None:
    """Print the table, append the rows to results/NAME.jsonl and, if asked, update docs/BENCHMARKS.md.

    A run with less than the benchmark's full budget is labelled a smoke run
    everywhere, so quick checks are never mistaken for the published result.
    """
    info, command = machine(cores), invocation()
    smoke = any(row["budget"] < full_budget for row in rows)
    stored = [{**row, "machine": info, "command": command, "smoke": smoke} for row in rows]
    path = append_results(name, stored)
    print(f"\n### {title}" + (" (smoke run)" if smoke else "") + "\n")
    print(markdown_table(rows))
    if notes:
        print("\n" + "\n".join(f"- {note}" for note in notes))
    print(f"\nrows appended to {path}", file=sys.stderr)
    if docs:
        doc = write_section(name, render_section(title, rows, info, command, notes, smoke))
        print(f"section '{name}' written to {doc}", file=sys.stderr)


def automl_executable() -> Path:
    """The ``automl`` script of the interpreter running the benchmark, so both use the same venv."""
    for candidate in (Path(sys.executable).parent / "automl", REPO_ROOT / ".venv" / "bin" / "automl"):
        if candidate.is_file():
            return candidate
    raise BenchmarkError("no automl executable found; build the venv with 'make test' and use .venv/bin/python")


def failure_note(measured: Measured, log: Path) -> str:
    """Why a measured process failed, with the end of its log."""
    reason = "timed out" if measured.timed_out else f"exit code {measured.returncode}"
    return f"{reason}: {log_tail(log)} (log: {log})"
