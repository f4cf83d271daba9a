"""The child process of the run-folder fuzzer (tests/security/test_run_folder_fuzz.py).

``python fuzz_driver.py WORK`` reads ``WORK/config.json`` (written with
:func:`prepare_sandbox`), plans the cases (a fixed list, the same on every
call), and for each case not yet in ``WORK/results.jsonl``: copies the template
run to ``SANDBOX/case/run``, applies the case's mutation, drives ``predict``,
``leaderboard``, ``report`` and ``resume`` in-process through click's
:class:`~click.testing.CliRunner`, and appends one JSON line with what each
command did. Before a case starts its id is written to ``WORK/progress.txt``, so
when the child dies of a signal (a native crash in a model library) the parent
knows which case killed it, records it, and starts a new child that goes on
with the next case.

Everything of the sandbox but ``SANDBOX/case`` (the run copies, the sentinel
folder ``SANDBOX/outside``, the working directory ``SANDBOX/cwd``), the
training data and the fitted runs are snapshotted before and after each case:
a difference is a write outside the run. ``/etc/passwd`` is only ever the
target of a symbolic link for ``predict`` (a command that writes nothing), and
its hash is checked too.

The cases and their mutations are in fuzz_mutations.py; this module runs and
judges them, and re-exports what the test uses of the plan
(:data:`COMMANDS`, :func:`plan`, :func:`run_files`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import stat
import sys
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# COMMANDS and run_files are re-exported (the 'as' form) for test_run_folder_fuzz.py
from fuzz_mutations import COMMANDS as COMMANDS
from fuzz_mutations import PASSWD, mutate, plan
from fuzz_mutations import run_files as run_files

ERROR_PREFIX = "error: "
ALLOWED_PREFIXES = ("warning: ", "note: ")
PROGRESS_PREFIXES = {"resume": ("resuming run ", "search done: ")}  # what resume says before it may fail


class Hang(BaseException):
    """Raised by the alarm when a command runs longer than the timeout (not an Exception: nothing swallows it)."""


# -- snapshots ------------------------------------------------------------------------------------------------
def snapshot(roots: list[Path], skip: Path) -> dict[str, Any]:
    """Every entry under ``roots`` but ``skip``: its type, size and content hash (links by their target)."""
    found: dict[str, Any] = {}
    for root in roots:
        if root.is_file():
            found[str(root)] = ("file", root.stat().st_size, hashlib.sha256(root.read_bytes()).hexdigest())
            continue
        _walk(root, skip, found)
    return found


def _walk(root: Path, skip: Path, found: dict[str, Any]) -> None:
    for folder, dirs, names in os.walk(root):
        here = Path(folder)
        dirs[:] = [d for d in dirs if here / d != skip]
        for name in dirs + names:
            path = here / name
            key = str(path)
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                found[key] = ("link", os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                found[key] = ("file", info.st_size, hashlib.sha256(path.read_bytes()).hexdigest())
            else:
                found[key] = ("other", stat.S_IFMT(info.st_mode), info.st_mode & 0o7777)


def passwd_digest() -> str:
    return hashlib.sha256(PASSWD.read_bytes()).hexdigest()


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return [f"{k} {'created' if k not in before else 'deleted' if k not in after else 'changed'}" for k in changed]


# -- commands ------------------------------------------------------------------------------------------------
@dataclass
class Outcome:
    command: str
    exit_code: int | None
    seconds: float
    verdict: str  # ok, user_error, or a failure: traceback, bad_exit, stderr, wrong_result, hang
    detail: str = ""


def _on_alarm(signum: int, frame: Any) -> None:
    raise Hang()


def run_command(runner: Any, cli: Any, command: str, run: Path, predict_input: Path, timeout: float,
                reference: dict[str, str]) -> Outcome:
    args = {"predict": ["predict", str(run), str(predict_input)],
            "leaderboard": ["leaderboard", str(run)],
            "report": ["report", str(run)],
            "resume": ["resume", str(run), "--quiet"]}[command]
    started = time.monotonic()
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        result = runner.invoke(cli, args, catch_exceptions=True)
    except Hang:
        return Outcome(command, None, time.monotonic() - started, "hang", f"still running after {timeout:.0f} s")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    seconds = time.monotonic() - started
    return judge(command, run, result, seconds, reference)


def judge(command: str, run: Path, result: Any, seconds: float, reference: dict[str, str]) -> Outcome:
    stdout, stderr = result.stdout, result.stderr
    code = result.exit_code
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        exc = result.exception
        where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
        place = f" at {Path(where.filename).name}:{where.lineno}" if where else ""
        return Outcome(command, code, seconds, "traceback", f"{type(exc).__name__}{place}: {str(exc)[:300]}")
    if "Traceback (most recent call last)" in stdout + stderr:
        text = stdout + stderr
        start = text.find("Traceback (most recent call last)")
        return Outcome(command, code, seconds, "traceback", f"a traceback was printed: {text[start:][-400:]!r}")
    lines = [line for line in stderr.splitlines() if line.strip()]
    if code == 2:
        errors = [line for line in lines if line.startswith(ERROR_PREFIX)]
        allowed = (ERROR_PREFIX, *ALLOWED_PREFIXES, *PROGRESS_PREFIXES.get(command, ()))
        others = [line for line in lines if not line.startswith(allowed)]
        if len(errors) != 1 or others or lines[-1] != errors[0]:
            return Outcome(command, code, seconds, "stderr", f"stderr is not one error: line: {stderr[-400:]!r}")
        return Outcome(command, code, seconds, "user_error", errors[0][:300])
    if code != 0:
        return Outcome(command, code, seconds, "bad_exit", f"exit {code}: {stderr[-300:]!r}")
    problem = check_result(command, run, stdout, reference)
    if problem:
        return Outcome(command, code, seconds, "wrong_result", problem)
    return Outcome(command, code, seconds, "ok")


def check_result(command: str, run: Path, stdout: str, reference: dict[str, str]) -> str | None:
    """Why an exit 0 result does not look right, or None."""
    if command == "predict":
        if stdout != reference["predict"]:
            got, want = stdout.splitlines(), reference["predict"].splitlines()
            return (f"predictions differ from the untouched run's: {len(got)} lines (want {len(want)}), "
                    f"header {got[:1]} (want {want[:1]})")
    elif command == "leaderboard":
        if not stdout.startswith("leaderboard (") or "┃" not in stdout:
            return f"not a leaderboard table: {stdout[:200]!r}"
    elif command == "report":
        html, md = run / "report.html", run / "report.md"
        if "report: " not in stdout or not html.is_file() or not md.is_file() or html.is_symlink():
            return f"report files missing: {stdout[:200]!r}"
        if "<html" not in html.read_text(errors="replace")[:2000].lower():
            return "report.html is not an HTML page"
    elif command == "resume" and ("model: " not in stdout or not (run / "best" / "model.json").is_file()):
        return f"resume did not end with a model: {stdout[-200:]!r}"
    return None


# -- the loop ---------------------------------------------------------------------------------------------
def main(work: Path) -> int:
    config = json.loads((work / "config.json").read_text())
    template, foreign = Path(config["template"]), Path(config["foreign"])
    predict_input = Path(config["predict_input"])
    seed, timeout = int(config["seed"]), float(config["command_timeout"])
    cases = plan(template, seed)
    (work / "plan.json").write_text(json.dumps([c.id for c in cases]))
    results_path, progress = work / "results.jsonl", work / "progress.txt"
    done = set()
    if results_path.exists():
        done = {json.loads(line)["id"] for line in results_path.read_text().splitlines() if line.strip()}
    sandbox = Path(config["sandbox"])
    outside, case_dir, cwd = sandbox / "outside", sandbox / "case", sandbox / "cwd"
    watched = [sandbox, *map(Path, config["watch"])]
    os.chdir(cwd)

    from click.testing import CliRunner

    from automl.cli import cli

    lighten()
    runner = CliRunner()
    signal.signal(signal.SIGALRM, _on_alarm)
    reference_path = work / "reference.json"
    if not reference_path.exists():
        reference_path.write_text(json.dumps(make_reference(runner, cli, template, case_dir, predict_input)))
    reference = json.loads(reference_path.read_text())
    baseline = snapshot(watched, skip=case_dir)
    passwd = passwd_digest()
    with results_path.open("a") as results:
        for case in cases:
            if case.id in done:
                continue
            progress.write_text(case.id)
            started = time.monotonic()
            if case_dir.exists():
                shutil.rmtree(case_dir)
            run = case_dir / "run"
            shutil.copytree(template, run, symlinks=True)
            record: dict[str, Any] = {"id": case.id, "op": case.op, "target": case.target}
            try:
                mutate(case, run, foreign, outside, seed)
            except Exception as exc:  # noqa: BLE001 - a bug of the fuzzer itself, reported as such
                record.update(setup_error=f"{type(exc).__name__}: {exc}", outcomes=[])
                results.write(json.dumps(record) + "\n")
                results.flush()
                continue
            outcomes = [run_command(runner, cli, command, run, predict_input, timeout, reference)
                        for command in case.commands]
            after = snapshot(watched, skip=case_dir)
            record["outside_writes"] = diff(baseline, after)
            if passwd_digest() != passwd:
                record["outside_writes"].append(f"{PASSWD} changed")
            record["notes"] = case.notes
            record["outcomes"] = [o.__dict__ for o in outcomes]
            record["seconds"] = round(time.monotonic() - started, 2)
            results.write(json.dumps(record) + "\n")
            results.flush()
            if record["outside_writes"]:
                restore(sandbox, config)
                baseline = snapshot(watched, skip=case_dir)
    progress.write_text("")
    shutil.rmtree(case_dir, ignore_errors=True)
    return 0


def lighten() -> None:
    """Fewer bootstrap samples and permutation rounds in the report: the same code paths, a fraction of the time."""
    from automl.report import evidence
    from automl_plugins.tabular import explain

    evidence.bootstrap_interval.__defaults__ = (0, 20)
    explain.REPEATS = 1


def make_reference(runner: Any, cli: Any, template: Path, case_dir: Path, predict_input: Path) -> dict[str, str]:
    """What ``predict`` prints for the untouched run: the result every exit-0 predict must equal."""
    run = case_dir / "run"
    if case_dir.exists():
        shutil.rmtree(case_dir)
    shutil.copytree(template, run, symlinks=True)
    result = runner.invoke(cli, ["predict", str(run), str(predict_input)])
    if result.exit_code != 0:
        raise SystemExit(f"predict fails on the untouched run: {result.exit_code} {result.stderr} {result.exception}")
    shutil.rmtree(case_dir)
    return {"predict": result.stdout}


def restore(sandbox: Path, config: dict[str, Any]) -> None:
    """After a write outside the run: put the sentinel folder and the templates back as they were."""
    prepare_sandbox(sandbox, Path(config["template_pristine"]), Path(config["foreign_pristine"]))


def prepare_sandbox(sandbox: Path, template: Path, foreign: Path) -> dict[str, str]:
    """The fuzzer's folder: copies of both runs, a sentinel folder and an empty working directory.

    The sentinel folder ``outside`` holds a copy of /etc/passwd, a folder with a file and a copy of the other
    run: symbolic links of the mutations point there, and nothing may change it.
    """
    if sandbox.exists():
        shutil.rmtree(sandbox)
    outside = sandbox / "outside"
    outside.mkdir(parents=True)
    (outside / "passwd").write_bytes(PASSWD.read_bytes())
    (outside / "folder").mkdir()
    (outside / "folder" / "keep.txt").write_text("the user's file\n")
    shutil.copytree(foreign, outside / "foreign", symlinks=True)
    shutil.copytree(template, sandbox / "template", symlinks=True)
    shutil.copytree(foreign, sandbox / "foreign", symlinks=True)
    (sandbox / "cwd").mkdir()
    return {"sandbox": str(sandbox), "template": str(sandbox / "template"), "foreign": str(sandbox / "foreign"),
            "template_pristine": str(template), "foreign_pristine": str(foreign)}


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1])))
