"""Everyday commands: how long ``automl --help``, ``fit --help``, ``plugins``, ``predict`` and ``report`` take.

    .venv/bin/python benchmarks/commands.py
    .venv/bin/python benchmarks/commands.py --runs 5 --out commands.json
    .venv/bin/python benchmarks/commands.py --tabular-run runs/adult   # time the report of an existing run

These commands are typed many times a day, so their start-up is the product:
issue 16 asks for ``plugins`` and ``fit --help`` within 1.5 s, ``predict`` of
three text rows within 3 s when the final model needs no transformer, and
``report`` within 5 s on the census run, on two cores. Each command runs once
to warm the file cache, then ``--runs`` times (5 by default); the table gives
the median, the fastest and the slowest wall time of the whole process.

``report`` only reads what the fit saved for it (the bootstrap interval and
the column importances, ``automl/evidence/cache.py``); a last row times the
report of a copy of the same run without those files, as an older automl saved
it, where the report computes them itself: the difference is what saving them
at fit time gained.

Two small runs are fitted first (not timed), in ``--work``: a text run with
TF-IDF logistic regression only (1,000 SMS messages from the shared data, or
the text plugin's sample), for ``predict`` on three messages; and a tabular
run (census income from the shared data, or the generated churn table), for
``report``, unless ``--tabular-run`` names one. The load average before and
after is printed and saved: on a shared machine it says how much to trust the
numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import REPO_ROOT, RESULTS_DIR, machine  # noqa: E402 - the benchmarks folder is not a package

DEFAULT_DATA = REPO_ROOT.parent / "shared" / "data"
TEXT_ROWS = 1000
TIMEOUT = 600


def automl_command() -> list[str]:
    """The ``automl`` script beside this Python (as a user types it), else ``python -m automl.cli``."""
    script = Path(sys.executable).with_name("automl")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "automl.cli"]


def run(args: list[str], cwd: Path) -> float:
    """Wall seconds of one command; a failure stops the benchmark with the command's error."""
    started = time.perf_counter()
    done = subprocess.run([*automl_command(), *args], cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"automl {' '.join(args)} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return seconds


def text_data(work: Path, data_root: Path) -> tuple[Path, Path]:
    """1,000 SMS messages (or the text plugin's sample) to fit on, and three messages to predict."""
    import pandas as pd

    sms = data_root / "sms_spam" / "sms_spam.tsv"
    if sms.is_file():
        frame = pd.read_csv(sms, sep="\t", quoting=3, nrows=TEXT_ROWS)
        target, text = "Label", "SMS"
    else:
        from automl_plugins.text.sample import tickets_frame

        frame, target, text = tickets_frame(TEXT_ROWS)[["message", "team"]], "team", "message"
    train = work / "messages.csv"
    frame[[target, text]].to_csv(train, index=False)
    three = work / "three_messages.csv"
    frame[[text]].head(3).to_csv(three, index=False)
    return train, three


def tabular_data(work: Path, data_root: Path) -> tuple[Path, str]:
    adult = data_root / "adult" / "train.csv"
    if adult.is_file():
        return adult, "income"
    from automl_plugins.tabular.demo import churn_frame

    path = work / "customers.csv"
    churn_frame(2000, seed=0).to_csv(path, index=False)
    return path, "churned"


def prepare(work: Path, data_root: Path, tabular_run: Path | None) -> dict[str, Path]:
    """Fit the runs the timed commands read (not timed)."""
    work.mkdir(parents=True, exist_ok=True)
    train, three = text_data(work, data_root)
    print(f"fitting the text run on {train} ...", file=sys.stderr)
    run(["fit", str(train), "--target", _text_target(train), "--task", "text", "--models", "tfidf_logreg",
         "--trials", "2", "--time-budget", "120", "--run-dir", str(work / "text_run"), "--force", "--quiet"], work)
    if tabular_run is None:
        table, target = tabular_data(work, data_root)
        print(f"fitting the tabular run on {table} ...", file=sys.stderr)
        tabular_run = work / "tabular_run"
        run(["fit", str(table), "--target", target, "--models", "lightgbm,linear", "--trials", "4",
             "--time-budget", "180", "--run-dir", str(tabular_run), "--force", "--quiet"], work)
    return {"text_run": work / "text_run", "three": three, "tabular_run": tabular_run.resolve()}


def _text_target(train: Path) -> str:
    header = train.read_text(encoding="utf-8").split("\n", 1)[0]
    return "Label" if header.startswith("Label") else "team"


SAVED_PARTS = ("interval.json", "column_importance.json")  # what the fit saves for the report, in best/


def without_saved_parts(run: Path, work: Path) -> Path:
    """A copy of ``run`` without the report parts the fit saved, its checksums recorded again (an older run)."""
    import shutil

    from automl import integrity
    from automl.runs import RunDir

    copy = work / "tabular_run_unsaved"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(run, copy)
    for name in SAVED_PARTS:
        (copy / "best" / name).unlink(missing_ok=True)
    integrity.record(copy / "best", RunDir.open(copy).manifest)
    return copy


def commands(paths: dict[str, Path]) -> list[tuple[str, list[str]]]:
    return [
        ("automl --help", ["--help"]),
        ("automl fit --help", ["fit", "--help"]),
        ("automl plugins", ["plugins"]),
        ("automl predict TEXT_RUN 3rows.csv", ["predict", str(paths["text_run"]), str(paths["three"])]),
        ("automl report TABULAR_RUN", ["report", str(paths["tabular_run"])]),  # rewrites the run's own report
        ("automl report (older run: nothing saved)", ["report", str(paths["unsaved_run"])]),
    ]


def measure(args: list[str], cwd: Path, runs: int) -> dict[str, Any]:
    run(args, cwd)  # warm-up: the file cache, bytecode, fonts
    times = [run(args, cwd) for _ in range(runs)]
    return {"median_s": round(statistics.median(times), 3), "min_s": round(min(times), 3),
            "max_s": round(max(times), 3), "runs": [round(t, 3) for t in times]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per command, after one warm-up")
    parser.add_argument("--data-root", type=Path, default=DEFAULT_DATA, help="the shared data folder")
    parser.add_argument("--work", type=Path, default=RESULTS_DIR / "commands", help="where the runs are fitted")
    parser.add_argument("--tabular-run", type=Path, help="an existing tabular run for 'automl report'")
    parser.add_argument("--out", type=Path, help="also write the results as JSON")
    args = parser.parse_args(argv)
    work = args.work.resolve()
    paths = prepare(work, args.data_root, args.tabular_run)
    paths["unsaved_run"] = without_saved_parts(paths["tabular_run"], work)
    load_before = [round(x, 2) for x in os.getloadavg()]
    rows = []
    for label, command in commands(paths):
        row = {"command": label, **measure(command, work, args.runs)}
        rows.append(row)
        print(f"{label:<42} median {row['median_s']:6.2f} s   min {row['min_s']:6.2f}   max {row['max_s']:6.2f}",
              flush=True)
    result = {"machine": {**machine(len(os.sched_getaffinity(0))), "load_average": load_before,
                          "load_average_after": [round(x, 2) for x in os.getloadavg()]},
              "runs_per_command": args.runs, "tabular_run": str(paths["tabular_run"]), "rows": rows}
    print(f"load average before {load_before}, after {result['machine']['load_average_after']}; "
          f"commit {result['machine']['commit']}")
    if args.out:
        args.out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
