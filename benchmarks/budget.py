"""Time budgets: does ``automl fit --time-budget B`` end within max(10% of B, 15 s) of B, on every task?

    .venv/bin/python benchmarks/budget.py                         # every task at 60 s and 300 s
    .venv/bin/python benchmarks/budget.py --budgets 60 --only text
    .venv/bin/python benchmarks/budget.py --budgets 60 --competing --out budget.json

Each task runs as a user would, on the shared data (``../shared/data``, never
copied into the repository): ``adult`` for tabular, ``sms_spam`` for text and
finetune, ``mnist_10k`` for image (written as an image folder once, under
``benchmarks/results/budget/``), ``movielens_small`` for recommend and the
airline passengers series for forecast. The wall time is the whole command,
process start to exit (search, ensemble, refit and the report), pinned to
``--cores`` CPUs like the other benchmarks.

``--competing`` starts a CPU-bound busy loop on the same CPUs for each fit:
a budget is a promise on a machine shared with other work too, and that is
where a time estimate made from earlier trials is most wrong.

Rows are appended to ``benchmarks/results/budget.jsonl``; ``--out`` also
writes this run's rows to a JSON file.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import (
    DEFAULT_CORES,
    RESULTS_DIR,
    BenchmarkError,
    append_results,
    automl_executable,
    invocation,
    log_tail,
    machine,
    run_measured,
    usable_cpus,
)

NAME = "budget"
DATA_ROOT = Path(__file__).resolve().parent.parent / ".." / "shared" / "data"
WORK_DIR = RESULTS_DIR / NAME
DEFAULT_BUDGETS = (60.0, 300.0)
BUSY_LOOP = "while True:\n    pass\n"


def tolerance(budget: float) -> float:
    """What the promise allows past the budget: max(10% of it, 15 s)."""
    return max(0.1 * budget, 15.0)


@dataclass(frozen=True)
class Task:
    """How to fit one task on the shared data: the data path and the fit options, made ready under ``work``."""

    name: str
    prepare: Callable[[Path, Path], list[str]]


def _tabular(data: Path, work: Path) -> list[str]:
    return [str(_need(data / "adult" / "train.csv")), "--task", "tabular", "--target", "income"]


def _sms_train(data: Path, work: Path) -> Path:
    """The SMS benchmark's 80% training split (train.csv), written once."""
    import sms

    folder = work / "sms"
    folder.mkdir(parents=True, exist_ok=True)
    train = folder / "train.csv"
    if not train.is_file():
        sms.write_split(_need(data / "sms_spam" / sms.FILE), folder)
    return train


def _text(data: Path, work: Path) -> list[str]:
    return [str(_sms_train(data, work)), "--task", "text", "--target", "Label"]


def _finetune(data: Path, work: Path) -> list[str]:
    return [str(_sms_train(data, work)), "--task", "finetune", "--target", "Label"]


def _image(data: Path, work: Path) -> list[str]:
    import mnist

    folder = work / "mnist"
    train = folder / "train"
    if not (folder / "complete").is_file():
        images, labels, train_rows, test_rows = mnist.load_split(data / "mnist_10k")
        mnist.write_folders(images, labels, train_rows, test_rows, folder)
        (folder / "complete").write_text("")
    return [str(train), "--task", "image"]


def _recommend(data: Path, work: Path) -> list[str]:
    return [str(_need(data / "movielens_small" / "ratings.csv")), "--task", "recommend"]


def _forecast(data: Path, work: Path) -> list[str]:
    return [str(_need(data / "forecast" / "airline-passengers.csv")), "--task", "forecast", "--target",
            "Passengers", "--horizon", "12"]


def _need(path: Path) -> Path:
    if not path.exists():
        raise BenchmarkError(f"{path} is missing; the shared data folder is described in ../shared/data/README.md")
    return path


TASKS = {task.name: task for task in (
    Task("tabular", _tabular), Task("text", _text), Task("image", _image), Task("recommend", _recommend),
    Task("forecast", _forecast), Task("finetune", _finetune),
)}


def installed_tasks() -> list[str]:
    """The tasks whose plugin this venv has (``automl plugins`` lists them)."""
    done = subprocess.run([str(automl_executable()), "plugins"], capture_output=True, text=True, timeout=120)
    listed = {name for line in done.stdout.splitlines() if line.strip().startswith("tasks:")
              for name in line.split(":", 1)[1].replace(",", " ").split()}
    return [name for name in TASKS if name in listed]


def busy_loop(cpus: list[int]) -> subprocess.Popen:
    """A CPU-bound competitor on the first of the benchmark's CPUs."""
    return subprocess.Popen([sys.executable, "-c", BUSY_LOOP], preexec_fn=lambda: os.sched_setaffinity(0, {cpus[0]}))


def measure(task: str, budget: float, cpus: list[int], data: Path, competing: bool) -> dict[str, Any]:
    """One ``automl fit`` of ``task`` with ``budget``: its wall time against the budget."""
    work = WORK_DIR / ("competing" if competing else "alone") / f"{task}_{budget:g}"
    work.mkdir(parents=True, exist_ok=True)
    args = TASKS[task].prepare(data, WORK_DIR)
    command = [str(automl_executable()), "fit", *args, "--time-budget", f"{budget:g}", "--run-dir",
               str(work / "run"), "--force", "--quiet"]
    load_before = [round(x, 2) for x in os.getloadavg()]
    competitor = busy_loop(cpus) if competing else None
    try:
        measured = run_measured(command, cpus=cpus, log_path=work / "fit.log", timeout=3 * budget + 600)
    finally:
        if competitor is not None:
            competitor.kill()
            competitor.wait()
    log = (work / "fit.log").read_text(errors="replace")
    said = re.search(r"search done: (\d+) trials?", log)
    over = measured.wall_seconds - budget
    return {
        "task": task, "budget": budget, "competing": competing, "wall_seconds": round(measured.wall_seconds, 1),
        "over_seconds": round(over, 1), "tolerance_seconds": tolerance(budget),
        "within": measured.returncode == 0 and over <= tolerance(budget),
        "trials_run": int(said.group(1)) if said else None, "returncode": measured.returncode,
        "peak_rss_mb": round(measured.peak_mb), "load_before": load_before,
        "note": "" if measured.returncode == 0 else log_tail(work / "fit.log"),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    lines = ["| task | budget s | competing | wall s | over s | allowed s | kept | trials run |",
             "|---|---:|---|---:|---:|---:|---|---:|"]
    for r in rows:
        kept = "yes" if r["within"] else ("**no**" if r["returncode"] == 0 else f"failed ({r['returncode']})")
        lines.append(f"| {r['task']} | {r['budget']:g} | {'yes' if r['competing'] else 'no'} | "
                     f"{r['wall_seconds']:.1f} | {r['over_seconds']:+.1f} | {r['tolerance_seconds']:g} | {kept} | "
                     f"{r['trials_run'] if r['trials_run'] is not None else '–'} |")
    return "\n".join(lines) + "\n"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Wall time of automl fit against --time-budget, on every task.")
    parser.add_argument("--budgets", default=",".join(f"{b:g}" for b in DEFAULT_BUDGETS),
                        help="Comma-separated budgets in seconds (default %(default)s).")
    parser.add_argument("--only", choices=sorted(TASKS), help="Run just this task.")
    parser.add_argument("--competing", action="store_true",
                        help="Run a CPU-bound busy loop on the same CPUs during every fit.")
    parser.add_argument("--cores", type=int, default=DEFAULT_CORES, help="CPUs the fit is pinned to (default 2).")
    parser.add_argument("--data-root", type=Path, default=DATA_ROOT, help="The shared data folder.")
    parser.add_argument("--out", type=Path, help="Also write this run's rows (and the machine) to a JSON file.")
    args = parser.parse_args(argv)
    try:
        args.budgets = [float(b) for b in args.budgets.split(",") if b.strip()]
    except ValueError:
        parser.error(f"--budgets takes numbers of seconds separated by commas, not {args.budgets!r}")
    if not args.budgets or any(not 0 < b < 1e6 for b in args.budgets):
        parser.error("--budgets needs at least one positive number of seconds")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        cpus = usable_cpus(args.cores)
        tasks = [args.only] if args.only else installed_tasks()
        info, command = machine(args.cores), invocation()
        rows = []
        for budget in args.budgets:
            for task in tasks:
                print(f"{task} at {budget:g} s{' with a competing process' if args.competing else ''}...",
                      file=sys.stderr, flush=True)
                row = measure(task, budget, cpus, args.data_root, args.competing)
                print(f"  {row['wall_seconds']:.1f} s ({row['over_seconds']:+.1f})", file=sys.stderr, flush=True)
                rows.append(row)
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    stored = [{**row, "machine": info, "command": command} for row in rows]
    append_results(NAME, stored)
    if args.out:
        args.out.write_text(json.dumps({"machine": info, "command": command, "rows": rows}, indent=2) + "\n")
    print(markdown(rows))
    return 0 if all(row["within"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
