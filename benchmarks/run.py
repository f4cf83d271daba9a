"""Run the benchmarks: one command, from the repository root, with the project's venv.

    .venv/bin/python benchmarks/run.py                  # every benchmark, each at its full budget
    .venv/bin/python benchmarks/run.py --only adult --budget 20   # a quick smoke run

Benchmarks live here, not under tests/, because they take minutes, need data
that is not in the repository and measure a shared machine: they must never
run as part of ``make test``. Each benchmark reads ``<data-root>/<name>/``.

The soak test of a search on PostgreSQL (issue 9) is not in this registry: it
measures robustness and trials per minute, not a score against references, and
takes 10 minutes or more. Run it alone: ``.venv/bin/python benchmarks/soak.py``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import adult
import forecast
import mnist
import movielens
import sms
import sms_finetune
from common import DEFAULT_BUDGET, DEFAULT_CORES, REPO_ROOT, BenchmarkError, publish

Runner = Callable[[Path, float, int], tuple[list[dict[str, Any]], list[str]]]
BENCHMARKS: dict[str, tuple[str, Runner]] = {
    adult.NAME: (adult.TITLE, adult.run_benchmark),
    mnist.NAME: (mnist.TITLE, mnist.run_benchmark),
    sms.NAME: (sms.TITLE, sms.run_benchmark),
    sms_finetune.NAME: (sms_finetune.TITLE, sms_finetune.run_benchmark),
    movielens.NAME: (movielens.TITLE, movielens.run_benchmark),
    forecast.NAME: (forecast.TITLE, forecast.run_benchmark),
}
# Benchmarks whose full budget is not DEFAULT_BUDGET, and whose data folder is not named after them.
BUDGETS: dict[str, float] = {mnist.NAME: mnist.BUDGET, sms.NAME: sms.BUDGET, sms_finetune.NAME: sms_finetune.BUDGET,
                             movielens.NAME: movielens.BUDGET, forecast.NAME: forecast.BUDGET}
DATA_FOLDERS: dict[str, str] = {mnist.NAME: mnist.DEFAULT_DATA.name, sms.NAME: sms.DEFAULT_DATA.name,
                                sms_finetune.NAME: sms.DEFAULT_DATA.name, movielens.NAME: movielens.DEFAULT_DATA.name,
                                forecast.NAME: forecast.DEFAULT_DATA.name}
DEFAULT_DATA_ROOT = REPO_ROOT / ".." / "shared" / "data"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Run the automl benchmarks and print a Markdown table.")
    parser.add_argument("--budget", type=float, default=None,
                        help=f"Seconds for each AutoML system (default: each benchmark's own, {DEFAULT_BUDGET:g} "
                             "unless stated; less is labelled a smoke run).")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), help="Run just this benchmark.")
    parser.add_argument("--cores", type=int, default=DEFAULT_CORES,
                        help="CPUs every system is pinned to (default %(default)s).")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA_ROOT,
                        help="Folder holding one data folder per benchmark (default ../shared/data).")
    parser.add_argument("--docs", action="store_true", help="Also write the results into docs/BENCHMARKS.md.")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = [args.only] if args.only else sorted(BENCHMARKS)
    exit_code = 0
    for name in names:
        title, runner = BENCHMARKS[name]
        full_budget = BUDGETS.get(name, DEFAULT_BUDGET)
        budget = args.budget if args.budget is not None else full_budget
        print(f"running {name} (budget {budget:g} s, {args.cores} cores)...", file=sys.stderr, flush=True)
        try:
            rows, notes = runner(args.data_root / DATA_FOLDERS.get(name, name), budget, args.cores)
        except BenchmarkError as exc:
            print(f"error: {exc}", file=sys.stderr)
            exit_code = 2
            continue
        publish(name, title, rows, notes, args.cores, args.docs, full_budget=full_budget)
        if any(row["status"] == "failed" for row in rows):
            exit_code = max(exit_code, 1)
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
