"""Property test of issue 15: a mutated run folder gives one ``error:`` line or a correct result, never worse.

A seeded, fixed set of mutations of every file of a finished run (bytes
flipped, cut short, emptied, deleted, swapped with another file, replaced by
the other run's file, by a symbolic link out of the run or to /etc/passwd, by
a folder; JSON of the wrong type, huge numbers and 10,000 levels of nesting;
torn, garbled and reordered journal lines; extra files in ``best/``,
``artifacts/`` and the run; ``best/`` and ``artifacts/`` missing, linked out or
replaced by a file) is applied to a copy of the run, and then ``predict`` and
``leaderboard`` run on each; ``report`` and ``resume``, which take a second or
two, run on the untouched run, on the changes of the folder as a whole that
concern them, and on one seeded mutation of each file (resume: each file it
reads, not the ``best/`` it rebuilds). Each command must either exit 0 with a correct-looking result
(predictions equal to the untouched run's, a leaderboard table, the report
files, a refitted model) or exit 2 with exactly one ``error:`` line on stderr
(``warning:`` and ``note:`` lines may come before it). Never a traceback, a
signal, a hang, or a write outside the run copy.

The commands run in-process in one child (tests/security/fuzz_driver.py) to
avoid the CLI's start-up time per call; a child that dies of a signal is
replaced and the case that killed it is recorded as a crash.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import batch  # noqa: E402
import fuzz_driver  # noqa: E402

DRIVER = Path(__file__).with_name("fuzz_driver.py")
SEED = int(os.environ.get("AUTOML_FUZZ_SEED", "15"))  # fixed; another seed explores other byte flips
COMMAND_TIMEOUT = 25.0  # seconds for one command of one case before it counts as a hang
CHILD_TIMEOUT = 400.0  # seconds for a whole child: the backstop if a hang is not even interruptible
MIN_CASES = 300  # the plan holds about 330 for a run of two LightGBM or linear members


@pytest.fixture(scope="module")
def fuzzed(fitted_runs, tmp_path_factory) -> dict[str, Any]:
    """Run every case (a new child after a crash); the results by case id, the plan and the time taken."""
    work = tmp_path_factory.mktemp("fuzz")
    config = fuzz_driver.prepare_sandbox(work / "sandbox", fitted_runs.run, fitted_runs.other)
    config.update(predict_input=str(fitted_runs.new), seed=SEED, command_timeout=COMMAND_TIMEOUT,
                  watch=[str(p) for p in fitted_runs.watched()])
    (work / "config.json").write_text(json.dumps(config))
    started = time.monotonic()
    try:
        crashes = batch.drive(DRIVER, work, CHILD_TIMEOUT)
    except RuntimeError as exc:
        pytest.fail(str(exc))
    plan = json.loads((work / "plan.json").read_text())
    results = {r["id"]: r for r in batch.results(work)}
    seconds = time.monotonic() - started
    commands = Counter(o["command"] for r in results.values() for o in r["outcomes"])
    verdicts = Counter(o["verdict"] for r in results.values() for o in r["outcomes"])
    summary = (f"run-folder fuzz: {len(results)} cases ({len(plan)} planned), {sum(commands.values())} commands "
               f"{dict(commands)}, verdicts {dict(verdicts)}, {len(crashes)} crashes, {seconds:.0f} s")
    print("\n" + summary)
    (work / "summary.txt").write_text(summary + "\n")
    return {"plan": plan, "results": results, "seconds": seconds, "crashes": crashes, "work": work}


def _failing(fuzzed: dict[str, Any], *verdicts: str) -> list[str]:
    return [f"{r['id']} {o['command']}: {o['verdict']}: {o['detail']}"
            for r in fuzzed["results"].values() for o in r["outcomes"] if o["verdict"] in verdicts]


def test_every_planned_case_ran(fuzzed):
    assert len(fuzzed["plan"]) >= MIN_CASES
    assert set(fuzzed["plan"]) == set(fuzzed["results"]), set(fuzzed["plan"]) ^ set(fuzzed["results"])
    setup = [f"{r['id']}: {r['setup_error']}" for r in fuzzed["results"].values() if r.get("setup_error")]
    assert not setup, "the fuzzer could not apply these mutations:\n" + "\n".join(setup)


def test_every_file_of_the_run_is_mutated(fuzzed, fitted_runs):
    """Every file meets predict, leaderboard and report after some mutation of it, and each of the files resume
    reads (everything but the model it rebuilds) meets resume."""
    files = fuzz_driver.run_files(fitted_runs.run)
    cases = {c.id: c for c in fuzz_driver.plan(fitted_runs.run, SEED)}
    sampled = {f for f in files if f.startswith("artifacts/")} - {cases[i].target for i in cases
                                                                  if i.startswith(("artifacts/#0:", "artifacts/#1:"))}
    for command in fuzz_driver.COMMANDS:
        reached = {c.target for c in cases.values() if command in c.commands}
        expected = set(files) - sampled
        if command == "resume":
            expected = {f for f in expected if not f.startswith("best/")} | {"best/model.json"}
        assert expected <= reached, (command, expected - reached)
    ran = {(r["id"], o["command"]) for r in fuzzed["results"].values() for o in r["outcomes"]}
    crashed = {r["id"] for r in fuzzed["crashes"]}
    assert all((i, c) in ran for i, case in cases.items() if i not in crashed for c in case.commands)


def test_the_untouched_run_passes_every_command(fuzzed):
    control = fuzzed["results"]["control"]
    assert [(o["command"], o["verdict"]) for o in control["outcomes"]] == [(c, "ok") for c in fuzzed_commands()]


def fuzzed_commands() -> tuple[str, ...]:
    return fuzz_driver.COMMANDS


def test_no_crash_signal(fuzzed):
    crashes = [f"{r['id']}: {r['crash']}\n{r['stderr'][-600:]}" for r in fuzzed["crashes"]]
    assert not crashes, f"{len(crashes)} cases killed the process:\n" + "\n".join(crashes)


def test_no_traceback(fuzzed):
    failing = _failing(fuzzed, "traceback", "bad_exit")
    assert not failing, f"{len(failing)} commands ended in a traceback:\n" + "\n".join(failing)


def test_no_hang(fuzzed):
    failing = _failing(fuzzed, "hang")
    assert not failing, f"{len(failing)} commands hung:\n" + "\n".join(failing)


def test_errors_are_one_line(fuzzed):
    failing = _failing(fuzzed, "stderr")
    assert not failing, f"{len(failing)} commands failed with more than one error: line:\n" + "\n".join(failing)


def test_results_are_correct_or_refused(fuzzed):
    failing = _failing(fuzzed, "wrong_result")
    assert not failing, f"{len(failing)} commands exited 0 with a wrong result:\n" + "\n".join(failing)


def test_nothing_outside_the_run_is_written(fuzzed):
    failing = [f"{r['id']}: {', '.join(r['outside_writes'][:4])}" for r in fuzzed["results"].values()
               if r.get("outside_writes")]
    assert not failing, f"{len(failing)} cases wrote outside the run copy:\n" + "\n".join(failing)


def test_budget(fuzzed):
    """The whole fuzz stays cheap enough for every test run (the fits are shared with the corpus)."""
    assert fuzzed["seconds"] < 150, fuzzed["seconds"]


# -- the fuzzer's own checks can fail ----------------------------------------------------------------------------
class _Result:
    def __init__(self, exit_code: int, stdout: str = "", stderr: str = "", exception: BaseException | None = None):
        self.exit_code, self.stdout, self.stderr, self.exception = exit_code, stdout, stderr, exception


@pytest.mark.parametrize(("result", "verdict"), [
    (_Result(1, exception=KeyError("x")), "traceback"),
    (_Result(0, stderr="Traceback (most recent call last):\n  ...\n"), "traceback"),
    (_Result(2, stderr="error: one\nerror: two\n", exception=SystemExit(2)), "stderr"),
    (_Result(2, stderr="something else\nerror: one\n", exception=SystemExit(2)), "stderr"),
    (_Result(2, stderr="warning: w\nnote: n\nerror: one\n", exception=SystemExit(2)), "user_error"),
    (_Result(3, stderr="error: one\n", exception=SystemExit(3)), "bad_exit"),
    (_Result(0, stdout="other,columns\n1,2\n"), "wrong_result"),
    (_Result(0, stdout="a,b\n1,2\n"), "ok"),
], ids=["exception", "printed-traceback", "two-errors", "stray-line", "warnings-then-error", "exit-3", "wrong-csv",
        "right-csv"])
def test_judge(result, verdict, tmp_path):
    assert fuzz_driver.judge("predict", tmp_path, result, 0.0, {"predict": "a,b\n1,2\n"}).verdict == verdict


def test_snapshot_sees_every_kind_of_write(tmp_path):
    (tmp_path / "keep").mkdir()
    (tmp_path / "keep" / "a.txt").write_text("a")
    (tmp_path / "case").mkdir()
    before = fuzz_driver.snapshot([tmp_path], skip=tmp_path / "case")
    (tmp_path / "case" / "inside.txt").write_text("fine")  # the run copy may change
    assert fuzz_driver.diff(before, fuzz_driver.snapshot([tmp_path], skip=tmp_path / "case")) == []
    (tmp_path / "keep" / "a.txt").write_text("b")
    (tmp_path / "new.txt").write_text("c")
    changed = fuzz_driver.diff(before, fuzz_driver.snapshot([tmp_path], skip=tmp_path / "case"))
    assert changed == [f"{tmp_path / 'keep' / 'a.txt'} changed", f"{tmp_path / 'new.txt'} created"]
