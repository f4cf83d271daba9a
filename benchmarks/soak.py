"""Soak test of one search on PostgreSQL (issue 9): workers killed and restarted, the budget exact, throughput.

One command, from the repository root::

    .venv/bin/python benchmarks/soak.py                        # 3 workers x 100 trials, then 1/2/3-worker throughput
    .venv/bin/python benchmarks/soak.py --quick                # 3 x 10 trials, throughput with 10 trials: a check

What it does:

1. Starts a throwaway PostgreSQL server (the newest ``/usr/lib/postgresql/*/bin``)
   in a temporary folder: ``initdb`` (as the ``postgres`` user when run as root),
   listening on 127.0.0.1 only, on a free port, with a password-protected user
   (scram-sha-256). The password is given to every child as ``PGPASSWORD``;
   URLs on command lines carry none. The server and its folder are deleted at
   the end, also after an error or Ctrl-C.
2. Soak: ``automl fit adult/train.csv --target income --storage URL --study soak
   --trials W*T --time-budget 7200 --models lightgbm,linear`` is the first
   worker; ``W-1`` ``automl worker RUN --storage URL`` processes join it. When
   the study has at least half the budget finished, one ``automl worker`` is
   killed with SIGKILL while it runs a trial, and a new worker takes its place.
   When ``fit`` has finished, the study is checked: exactly ``W*T`` trials count
   toward the budget (``automl.search.loop.counted``: every trial that is not
   queued and not an interrupted FAIL, i.e. COMPLETE + PRUNED + FAIL), how many
   of them are COMPLETE (the rest are stopped by the median pruner), every
   trial number once, nothing left RUNNING or WAITING, the killed worker's trial
   FAIL as interrupted and run again (same parameters, ``retry_history``) to
   the end (COMPLETE, or PRUNED by the pruner), and ``automl leaderboard RUN --format json`` lists exactly the
   study's trials with the same states and values.
3. Throughput: for 1, 2 and 3 workers, a fresh study of ``--throughput-trials``
   trials on the same data and models; trials per minute are counted from the
   first trial's start to the last trial's end (the study's ``datetime_start``
   and ``datetime_complete``), so start-up, data loading, the ensemble and the
   refit do not count. While it runs, ``/tmp/QUIET`` exists (other work on this
   shared machine pauses while it does).

With two or more workers, each process is pinned to one CPU, round robin
(``fit`` gets CPU 0, the next worker CPU 1, ...): a worker uses every CPU it may
run on, and LightGBM's OpenMP threads on CPUs shared with other workers were
several times slower than one thread per CPU. ``--no-pin`` measures that;
``--pin-single`` pins the lone worker of the 1-worker run too (its per-CPU rate).

The result is printed as JSON, appended to ``benchmarks/results/soak.jsonl``
and written to ``benchmarks/results/soak/result-<time>.json``; run folders and
logs stay in ``benchmarks/results/soak/`` (git-ignored). The data is read from
``../shared/data/adult/`` and never copied into the repository.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

from common import REPO_ROOT, RESULTS_DIR, BenchmarkError, append_results, automl_executable, invocation, machine
from soak_cluster import Children, Postgres, StudyReader, finished, tail

NAME = "soak"
TITLE = "Soak (PostgreSQL, issue 9)"
DEFAULT_DATA = REPO_ROOT / ".." / "shared" / "data" / "adult"
TARGET = "income"
MODELS = "lightgbm,linear"
TIME_BUDGET = 7200  # large: the trial budget ends the run, never the clock
WORK_DIR = RESULTS_DIR / NAME
QUIET_FLAG = Path("/tmp/QUIET")
HOST = socket.gethostname()
PIN_SINGLE = False  # --pin-single: pin a lone worker to one CPU too (the per-CPU rate of one worker)


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


# -- one run: fit plus workers ------------------------------------------------------------------------------------


def fit_command(train: Path, pg: Postgres, study: str, trials: int, run_dir: Path) -> list[str]:
    return [str(automl_executable()), "fit", str(train), "--target", TARGET, "--storage", pg.url(),
            "--study", study, "--trials", str(trials), "--time-budget", str(TIME_BUDGET), "--models", MODELS,
            "--run-dir", str(run_dir), "--force", "--quiet"]


def worker_command(pg: Postgres, run_dir: Path) -> list[str]:
    return [str(automl_executable()), "worker", str(run_dir), "--storage", pg.url()]


def cpus_for(index: int, workers: int, pin: bool) -> set[int] | None:
    """With ``--pin`` and several workers, worker ``index`` (0 is fit) gets one CPU, round robin; else all."""
    available = sorted(os.sched_getaffinity(0))
    if not pin or (workers < 2 and not PIN_SINGLE):
        return None
    return {available[index % len(available)]}


def start_run(children: Children, reader: StudyReader, train: Path, pg: Postgres, study: str, trials: int,
              workers: int, folder: Path, pin: bool, timeout: float = 600,
              ) -> tuple[subprocess.Popen, list[subprocess.Popen]]:
    """``automl fit`` (the first worker), then ``workers - 1`` ``automl worker`` processes once the study exists."""
    folder.mkdir(parents=True, exist_ok=True)
    run_dir = folder / "run"
    fit = children.start(fit_command(train, pg, study, trials, run_dir), folder / "fit.log",
                         cpus_for(0, workers, pin))
    end = time.time() + timeout
    while not reader.exists(study) or not (run_dir / "run.json").is_file():
        if fit.poll() is not None:
            raise BenchmarkError(f"automl fit exited with {fit.returncode} before the study existed:\n"
                                 f"{tail(fit.log_path)}")
        if time.time() > end:
            raise BenchmarkError(f"the study {study} did not appear within {timeout:g} s")
        time.sleep(0.5)
    started = [children.start(worker_command(pg, run_dir), folder / f"worker-{i}.log", cpus_for(i, workers, pin))
               for i in range(1, workers)]
    return fit, started


def wait_for(process: subprocess.Popen, timeout: float, what: str) -> int:
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        raise BenchmarkError(f"{what} did not finish within {timeout:g} s:\n{tail(process.log_path)}") from None


# -- the soak -----------------------------------------------------------------------------------------------------


def soak(children: Children, reader: StudyReader, train: Path, pg: Postgres, workers: int, per_worker: int,
         timeout: float, pin: bool) -> dict[str, Any]:
    study, budget = "soak", workers * per_worker
    folder = WORK_DIR / "soak"
    shutil.rmtree(folder, ignore_errors=True)
    load_before = load_average()
    log(f"soak: {workers} workers x {per_worker} trials = {budget}, load average {load_before}")
    began = time.time()
    fit, joined = start_run(children, reader, train, pg, study, budget, workers, folder, pin)
    victim = joined[0] if joined else None
    kill: dict[str, Any] = {}
    replacement: subprocess.Popen | None = None
    last_report = 0.0
    while fit.poll() is None:
        if time.time() - began > timeout:
            raise BenchmarkError(f"the soak did not finish within {timeout:g} s; states {reader.states(study)}")
        states = reader.states(study)
        if time.time() - last_report > 30:
            log(f"soak: {states}")
            last_report = time.time()
        if victim is not None and not kill and finished(states) >= budget // 2:
            if victim.poll() is not None:
                raise BenchmarkError(f"the worker to kill had already exited ({victim.returncode}):\n"
                                     f"{tail(victim.log_path)}")
            running = reader.running_of(study, f"{HOST}:{victim.pid}")
            if running:
                time.sleep(1.0)  # well inside the trial (seconds long), not at its first instant
                running_now = reader.running_of(study, f"{HOST}:{victim.pid}")
                if running_now:
                    Children.kill(victim)
                    kill = {"pid": victim.pid, "trial": running_now[0], "at_finished": finished(states),
                            "seconds_into_soak": round(time.time() - began, 1), "exit_code": victim.returncode}
                    log(f"soak: SIGKILL worker pid {victim.pid} while it ran trial {running_now[0]} "
                        f"({finished(states)} of {budget} finished); starting a new worker")
                    replacement = children.start(worker_command(pg, folder / "run"), folder / "worker-replacement.log",
                                                 cpus_for(1, workers, pin))  # the killed worker's CPU
                    continue
        time.sleep(0.5)
    wall = time.time() - began
    fit_code = fit.returncode
    log(f"soak: fit exited with {fit_code} after {wall:.0f} s")
    others = [p for p in (*joined, replacement) if p is not None and p is not victim]
    worker_codes = {str(p.log_path.name): wait_for(p, 300, p.log_path.name) for p in others}
    result: dict[str, Any] = {
        "study": study, "workers": workers, "trials_per_worker": per_worker, "budget": budget,
        "models": MODELS, "pinned": pin, "cpus": {p.log_path.name: p.cpus for p in (fit, *joined)},
        "heartbeat": {k: os.environ.get(k, "default") for k in
                                        ("AUTOML_HEARTBEAT_SECONDS", "AUTOML_HEARTBEAT_GRACE_SECONDS")},
        "wall_seconds": round(wall, 1), "load_average_before": load_before, "load_average_after": load_average(),
        "fit_exit_code": fit_code, "worker_exit_codes": worker_codes, "kill": kill,
    }
    if fit_code != 0:
        result["fit_log_tail"] = tail(fit.log_path, 20)
    result["checks"] = check_study(reader.trials(study), budget, kill.get("trial"))
    result["checks"].update(check_leaderboard(reader.trials(study), folder / "run", children.env))
    result["checks"]["fit_and_workers_exit_0"] = fit_code == 0 and all(c == 0 for c in worker_codes.values())
    result["checks"]["worker_killed_mid_trial"] = bool(kill)
    result["throughput"] = window(reader.trials(study))
    result["ok"] = all(v for k, v in result["checks"].items() if isinstance(v, bool))
    return result


def check_study(trials: list[Any], budget: int, killed: int | None) -> dict[str, Any]:
    from optuna.trial import TrialState

    numbers = [t.number for t in trials]
    interrupted = [t for t in trials if t.state == TrialState.FAIL and t.user_attrs.get("interrupted")]
    counted = [t for t in trials if t.state != TrialState.WAITING and t not in interrupted]
    by_state: dict[str, int] = {}
    for t in trials:
        key = "FAIL (interrupted)" if t in interrupted else t.state.name
        by_state[key] = by_state.get(key, 0) + 1
    skipped = [t for t in trials if t.state == TrialState.PRUNED
               and str(t.user_attrs.get("pruned_reason", "")).startswith("skipped")]
    checks: dict[str, Any] = {
        "trials_in_study": len(trials),
        "by_state": by_state,
        "counted_toward_budget": len(counted),
        "completed": by_state.get("COMPLETE", 0),
        "pruned_as_duplicate_parameters": len(skipped),
        "failed_not_interrupted": by_state.get("FAIL", 0),
        "counted_equals_budget": len(counted) == budget,
        "completed_plus_pruned_plus_failed": sum(by_state.get(k, 0) for k in ("COMPLETE", "PRUNED", "FAIL")),
        "no_duplicate_numbers": len(numbers) == len(set(numbers)),
        "numbers_are_0_to_n-1": sorted(numbers) == list(range(len(numbers))),
        "none_running": by_state.get("RUNNING", 0) == 0,
        "none_waiting": by_state.get("WAITING", 0) == 0,
        "interrupted_trials": [t.number for t in interrupted],
    }
    if killed is not None:
        victim = next((t for t in trials if t.number == killed), None)
        retries = [t for t in trials if killed in t.system_attrs.get("retry_history", [])]
        checks["killed_trial"] = killed
        checks["killed_trial_state"] = None if victim is None else victim.state.name
        checks["killed_trial_reason"] = None if victim is None else victim.user_attrs.get("fail_reason")
        checks["killed_trial_failed_as_interrupted"] = victim is not None and victim in interrupted
        # The dead attempt holds the parameters sampled before the kill; its retry starts from exactly those.
        def same(t: Any) -> bool:
            return victim is not None and all(t.params.get(k) == v for k, v in victim.params.items())

        checks["retries_of_killed_trial"] = [{"number": t.number, "state": t.state.name, "same_params": same(t)}
                                             for t in retries]
        # The retry runs like any trial: it completes, or the pruner stops it (PRUNED also counts toward --trials).
        checks["killed_trial_retried_and_finished"] = any(
            t.state in (TrialState.COMPLETE, TrialState.PRUNED) and same(t) for t in retries)
    return checks


def check_leaderboard(trials: list[Any], run_dir: Path, env: dict[str, str]) -> dict[str, Any]:
    """``automl leaderboard RUN --format json`` lists the study's trials, no more and no fewer, with their values."""
    from optuna.trial import TrialState

    done = subprocess.run([str(automl_executable()), "leaderboard", str(run_dir), "--format", "json"],
                          capture_output=True, text=True, env=env, cwd=REPO_ROOT, timeout=300)
    if done.returncode != 0:
        return {"leaderboard_equals_study": False, "leaderboard_error": done.stderr.strip()[-1000:]}
    board = [row for row in json.loads(done.stdout) if row["trial"] is not None]
    shown = [t for t in trials if t.state != TrialState.WAITING]
    by_number = {row["trial"]: row for row in board}
    mismatches = []
    for t in shown:
        row = by_number.get(t.number)
        status = "PRUNED" if row and row["status"] == "SKIPPED" else (row or {}).get("status")
        value = t.value if t.state == TrialState.COMPLETE else None
        if row is None or status != t.state.name or row["score"] != value:
            mismatches.append({"trial": t.number, "study": [t.state.name, value],
                               "leaderboard": None if row is None else [row["status"], row["score"]]})
    csv_path = run_dir / "leaderboard.csv"
    csv_note: dict[str, Any] = {}
    if csv_path.is_file():
        import pandas as pd

        frame = pd.read_csv(csv_path)
        csv_numbers = sorted(int(x) for x in frame["trial"].dropna())
        csv_note = {"leaderboard_csv_rows_with_trial": len(csv_numbers),
                    "leaderboard_csv_same_trials": csv_numbers == sorted(t.number for t in shown)}
    return {
        "leaderboard_rows_with_trial": len(board),
        "leaderboard_rows_ensemble": sum(1 for row in json.loads(done.stdout) if row["trial"] is None),
        "leaderboard_numbers_unique": len(by_number) == len(board),
        "leaderboard_mismatches": mismatches[:20],
        "leaderboard_equals_study": not mismatches and len(board) == len(shown) and len(by_number) == len(board),
        **csv_note,
    }


# -- throughput ---------------------------------------------------------------------------------------------------


def window(trials: list[Any]) -> dict[str, Any]:
    """Trials per minute from the first trial's start to the last trial's end; the gap between a worker's trials."""
    from optuna.trial import TrialState

    ran = [t for t in trials if t.state.is_finished() and t.datetime_start and t.datetime_complete]
    counted = [t for t in ran if not (t.state == TrialState.FAIL and t.user_attrs.get("interrupted"))]
    if not counted:
        return {}
    first = min(t.datetime_start for t in counted)
    last = max(t.datetime_complete for t in counted)
    seconds = (last - first).total_seconds()
    per_worker: dict[str, list[Any]] = {}
    for t in counted:
        per_worker.setdefault(str(t.user_attrs.get("worker")), []).append(t)
    gaps = []
    for own in per_worker.values():
        own.sort(key=lambda t: t.datetime_start)
        gaps += [(b.datetime_start - a.datetime_complete).total_seconds() for a, b in zip(own, own[1:], strict=False)]
    durations = [(t.datetime_complete - t.datetime_start).total_seconds() for t in counted
                 if t.state == TrialState.COMPLETE]
    completed = sum(1 for t in counted if t.state == TrialState.COMPLETE)
    return {
        "trials": len(counted),
        "completed": completed,
        "window_seconds": round(seconds, 1),
        "trials_per_minute": round(60 * len(counted) / seconds, 2) if seconds > 0 else None,
        "completed_per_minute": round(60 * completed / seconds, 2) if seconds > 0 else None,
        "workers_seen": len(per_worker),
        "trials_per_worker": sorted(len(v) for v in per_worker.values()),
        "median_trial_seconds": round(statistics.median(durations), 2) if durations else None,
        "median_gap_seconds": round(statistics.median(gaps), 3) if gaps else None,
        "failed_as_stale": sum(1 for t in ran if t.user_attrs.get("interrupted")),
    }


def throughput(children: Children, reader: StudyReader, train: Path, pg: Postgres, counts: list[int], trials: int,
               timeout: float, rows: list[dict[str, Any]], pin: bool) -> None:
    """One fresh study per worker count; each row is appended to ``rows`` as soon as it is measured."""
    for workers in counts:
        study = f"throughput-{workers}"
        folder = WORK_DIR / study
        shutil.rmtree(folder, ignore_errors=True)
        load_before = load_average()
        log(f"throughput: {workers} worker(s), {trials} trials, load average {load_before}")
        began = time.time()
        fit, joined = start_run(children, reader, train, pg, study, trials, workers, folder, pin)
        try:
            code: int | str = wait_for(fit, timeout, f"automl fit ({study})")
            worker_codes: list[int | str] = [wait_for(p, 300, p.log_path.name) for p in joined]
        except BenchmarkError as exc:  # still record the trials' window: the search may be done, the refit not
            log(f"throughput: {exc}".splitlines()[0])
            for process in (fit, *joined):
                Children.kill(process)
            code, worker_codes = f"timed out after {timeout:g} s", ["killed"] * len(joined)
        row = {"workers": workers, "study": study, "pinned": [p.cpus for p in (fit, *joined)],
                "fit_exit_code": code, "worker_exit_codes": worker_codes,
               "wall_seconds": round(time.time() - began, 1), "load_average_before": load_before,
               "load_average_after": load_average(), **window(reader.trials(study))}
        log(f"throughput: {workers} worker(s): {row.get('trials_per_minute')} trials/min "
            f"({row.get('trials')} trials in {row.get('window_seconds')} s), exit codes {code} {worker_codes}")
        if code != 0:
            row["fit_log_tail"] = tail(fit.log_path, 20)
        rows.append(row)


# -- main -----------------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="Folder holding train.csv (census income).")
    parser.add_argument("--workers", type=int, default=3, help="Workers in the soak (default %(default)s).")
    parser.add_argument("--trials-per-worker", type=int, default=100, help="Soak budget per worker (default 100).")
    parser.add_argument("--throughput-trials", type=int, default=40,
                        help="Trials of each throughput study (default %(default)s).")
    parser.add_argument("--throughput-workers", default="1,2,3", help="Worker counts to time (default 1,2,3).")
    parser.add_argument("--quick", action="store_true",
                        help="A check of the script: 3 x 10 trials, 10 trials per throughput study.")
    parser.add_argument("--no-pin", dest="pin", action="store_false",
                        help="Do not pin: every worker uses every CPU (with more workers than CPUs, LightGBM's "
                             "threads then oversubscribe the CPUs). By default, with 2 or more workers, each worker "
                             "is pinned to one CPU, round robin (the docs' 'several workers with fewer CPUs each').")
    parser.add_argument("--pin-single", action="store_true",
                        help="Pin the 1-worker throughput run to one CPU as well (default: it may use every CPU).")
    parser.add_argument("--skip-soak", action="store_true")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--timeout", type=float, default=5400, help="Seconds the soak may take (default 5400).")
    args = parser.parse_args(argv)
    if args.quick:
        args.trials_per_worker, args.throughput_trials = 10, 10
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    global PIN_SINGLE  # noqa: PLW0603 - one switch read by cpus_for
    PIN_SINGLE = args.pin_single
    train = (args.data / "train.csv").resolve()
    if not train.is_file():
        raise BenchmarkError(f"census income data not found: {train} (pass --data DIR holding train.csv)")
    if args.workers < 2:
        raise BenchmarkError("the soak kills one 'automl worker', so it needs --workers 2 or more")
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    info = machine(len(os.sched_getaffinity(0)))
    with contextlib.suppress(OSError):
        info["ram_gb"] = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    result: dict[str, Any] = {"benchmark": NAME, "command": invocation(), "quick": args.quick, "machine": info}
    pg = Postgres()
    env = {**os.environ, "PGPASSWORD": pg.password, "PYTHONUNBUFFERED": "1"}
    children = Children(env)
    reader = StudyReader(pg)
    quiet_created = False

    def interrupted(signum: int, _frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    try:
        pg.start()
        result["postgres"] = {"version": pg.version, "host": "127.0.0.1", "auth": "scram-sha-256 (password)",
                              "url": pg.url()}
        log(f"{pg.version} on {pg.url()} (folder {pg.folder})")
        if not args.skip_soak:
            result["soak"] = soak(children, reader, train, pg, args.workers, args.trials_per_worker, args.timeout,
                                  args.pin)
            log("soak checks: " + json.dumps(result["soak"]["checks"], default=str))
        if not args.skip_throughput:
            counts = [int(x) for x in args.throughput_workers.split(",")]
            result["load_average_before_throughput"] = load_average()
            quiet_created = not QUIET_FLAG.exists()
            QUIET_FLAG.touch()
            time.sleep(5 if args.quick else 20)  # let paused work settle
            result["load_average_after_quiet"] = load_average()
            result["throughput"] = []
            throughput(children, reader, train, pg, counts, args.throughput_trials, args.timeout,
                       result["throughput"], args.pin)
    except KeyboardInterrupt:
        log("interrupted: stopping the workers and the server")
        result["interrupted"] = True
        return 130
    finally:
        children.kill_all()
        reader.close()
        if quiet_created:
            QUIET_FLAG.unlink(missing_ok=True)
        pg.close()
        result["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %z")
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = WORK_DIR / f"result-{stamp}.json"
        out.write_text(json.dumps(result, indent=2, default=str) + "\n")
        append_results(NAME, [result])
        print(json.dumps(result, indent=2, default=str))
        log(f"result written to {out} and appended to {RESULTS_DIR / (NAME + '.jsonl')}")
    ok = result.get("soak", {}).get("ok", True) and all(
        r.get("fit_exit_code") == 0 for r in result.get("throughput", []))
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchmarkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
