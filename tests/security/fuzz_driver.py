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
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shutil
import signal
import stat
import sys
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

COMMANDS = ("predict", "leaderboard", "report", "resume")
JSON_FILES = ("run.json", "best/model.json", "best/schema.json", "best/checksums.json", "best/deployment.json",
              "best/member_0/lightgbm.json")
# values of the wrong type for a JSON key, and huge numbers (10**400 is an int of 1,330 bits; 1e999 reads as inf)
WRONG_VALUES: list[Any] = [None, True, -1, 0, 2**64, "", "x" * 3, [], {}, [1, "a", None], {"a": {"b": []}},
                           "../../outside/passwd", -1.5]
HUGE_LITERALS = ("1e999", "-1e999", "1" + "0" * 400, "NaN", "Infinity")
PASSWD = Path("/etc/passwd")
ALL, MODEL, STUDY = COMMANDS, ("predict", "leaderboard", "report"), ("leaderboard", "report", "resume")
FOLDER_CASES: dict[str, tuple[str, ...]] = {  # changes of the folder as a whole, and the commands each one meets
    "extra_best": MODEL, "extra_member": MODEL, "extra_artifact": STUDY, "extra_root": MODEL,
    "best_link_foreign": ALL, "best_missing": ALL, "artifacts_missing": STUDY, "artifacts_link_out": STUDY,
    "swap_members": MODEL, "member_link_out": MODEL, "run_json_link_foreign": ALL, "journal_link_foreign": STUDY,
    "best_is_file": ALL, "artifacts_is_file": STUDY, "unreadable_run_json": ALL,
}
ERROR_PREFIX = "error: "
ALLOWED_PREFIXES = ("warning: ", "note: ")
PROGRESS_PREFIXES = {"resume": ("resuming run ", "search done: ")}  # what resume says before it may fail


class Hang(BaseException):
    """Raised by the alarm when a command runs longer than the timeout (not an Exception: nothing swallows it)."""


@dataclass
class Case:
    id: str
    target: str  # a path relative to the run, or "" for a change of the whole folder
    op: str
    arg: Any = None
    commands: tuple[str, ...] = COMMANDS
    notes: list[str] = field(default_factory=list)


# -- the plan -----------------------------------------------------------------------------------------------
def run_files(run: Path) -> list[str]:
    """Every file of the run (lock files included), as sorted relative POSIX paths."""
    return sorted(p.relative_to(run).as_posix() for p in run.rglob("*") if p.is_file() and not p.is_symlink())


def plan(run: Path, seed: int) -> list[Case]:
    """The cases, in a fixed order, each with the commands it runs.

    ``predict`` and ``leaderboard`` take a fraction of a second and run on every
    case; ``report`` and ``resume`` take a second or two, so they run on the
    untouched run, on the changes of the folder as a whole, and on one seeded
    mutation of each file (resume on one of each file outside ``best/``, which it
    rebuilds, and of ``best/model.json``). A change of the folder as a whole runs
    the commands that read or write what it changes (:data:`FOLDER_CASES`).
    """
    files = run_files(run)
    artifacts = [f for f in files if f.startswith("artifacts/")]
    labels = {f: f"artifacts/#{artifacts.index(f)}" if f in artifacts else f for f in files}
    cases: list[Case] = [Case("control", "", "none")]
    generic = ("flip", "flip", "trunc_1", "trunc_half", "trunc_last", "empty", "delete", "swap", "foreign",
               "link_out", "link_passwd", "folder")
    for relative in files:
        ops: tuple[str, ...] = generic
        if relative in artifacts[2:]:  # the first two artifacts get every mutation, the others a sample
            ops = ("flip", "empty", "link_out")
        if relative.endswith(".lock"):
            ops = ("flip", "empty", "delete", "link_out", "folder")
        for n, op in enumerate(ops):
            cases.append(Case(f"{labels[relative]}:{op}{'#2' if ops[:n].count(op) else ''}", relative, op,
                              arg=n))
        if relative in JSON_FILES:
            content = json.loads((run / relative).read_text())
            for top in ("[]", '"x"', "null", "1e999", "deep"):
                cases.append(Case(f"{relative}:top={top}", relative, "json_top", arg=top))
            keys = sorted(content) if isinstance(content, dict) else []
            for n, key in enumerate(keys):
                cases.append(Case(f"{relative}:{key}=wrong", relative, "json_key", arg=[key, n]))
            for n, key in enumerate(k for k in keys if isinstance(content[k], (int, float, dict, list))):
                literal = HUGE_LITERALS[n % len(HUGE_LITERALS)]
                cases.append(Case(f"{relative}:{key}={literal[:8]}", relative, "json_literal", arg=[key, literal]))
        if relative == "study.journal":
            for op in ("torn", "garbage_line", "dup_line", "swap_lines", "huge_value", "drop_first", "crlf"):
                cases.append(Case(f"{relative}:{op}", relative, op, commands=("predict", "leaderboard")))
    for case in cases:
        if case.target and case.op != "none":
            case.commands = ("predict",) if case.op == "link_passwd" else ("predict", "leaderboard")
    for op, commands in FOLDER_CASES.items():
        cases.append(Case(f"folder:{op}", "", op, commands=tuple(c for c in COMMANDS if c in commands)))
    rng = random.Random(f"{seed}:heavy")
    for relative in files:
        if relative in artifacts[2:]:
            continue
        # never /etc/passwd for a command that writes (we may be root)
        mine = [c for c in cases if c.target == relative and c.op != "link_passwd"]
        _add(rng.choice(mine), "report")
        if not relative.startswith("best/") or relative == "best/model.json":
            _add(rng.choice(mine), "resume")
    for op in ("torn", "garbage_line"):
        _add(next(c for c in cases if c.id == f"study.journal:{op}"), "report", "resume")
    return cases


def _add(case: Case, *commands: str) -> None:
    case.commands = tuple(c for c in COMMANDS if c in case.commands or c in commands)


# -- mutations --------------------------------------------------------------------------------------------
def _replace_with_link(path: Path, target: Path) -> None:
    _remove(path)
    path.symlink_to(target)


def _remove(path: Path) -> None:
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _json_dump_with_literal(content: Any, key: str, literal: str) -> str:
    marker = "__AUTOML_FUZZ_LITERAL__"
    content[key] = marker
    return json.dumps(content, indent=2).replace(f'"{marker}"', literal)


def _foreign_file(relative: str, run: Path, foreign: Path) -> Path | None:
    if (foreign / relative).is_file():
        return foreign / relative
    if relative.startswith("artifacts/"):
        mine = sorted(p.name for p in (run / "artifacts").iterdir())
        theirs = sorted((foreign / "artifacts").iterdir())
        name = relative.split("/", 1)[1]
        return theirs[mine.index(name) % len(theirs)] if theirs and name in mine else None
    same_suffix = sorted(p for p in foreign.rglob(f"*{Path(relative).suffix}") if p.is_file())
    return same_suffix[0] if same_suffix else None


def mutate(case: Case, run: Path, foreign: Path, outside: Path, seed: int) -> None:
    """Apply the case's change to the copy ``run``; ``foreign`` is another run, ``outside`` the sentinel folder."""
    rng = random.Random(f"{seed}:{case.id}")
    path = run / case.target if case.target else run
    data = path.read_bytes() if case.target and path.is_file() else b""
    op = case.op
    if op == "none":
        return
    if op == "flip":
        buffer = bytearray(data or b"\0")
        for _ in range(rng.randint(1, 4)):
            buffer[rng.randrange(len(buffer))] ^= rng.randint(1, 255)
        path.write_bytes(bytes(buffer))
    elif op == "trunc_1":
        path.write_bytes(data[:1])
    elif op == "trunc_half":
        path.write_bytes(data[: len(data) // 2])
    elif op == "trunc_last":
        path.write_bytes(data[:-1])
    elif op == "empty":
        path.write_bytes(b"")
    elif op == "delete":
        path.unlink()
    elif op == "swap":
        others = [f for f in run_files(run) if f != case.target]
        other = run / rng.choice(others)
        other_data = other.read_bytes()
        other.write_bytes(data)
        path.write_bytes(other_data)
        case.notes.append(f"swapped with {other.relative_to(run).as_posix()}")
    elif op == "foreign":
        source = _foreign_file(case.target, run, foreign)
        if source is None:
            path.write_bytes(b"")
            case.notes.append("no foreign counterpart: emptied")
        else:
            shutil.copyfile(source, path)
            case.notes.append(f"from the other run: {source.relative_to(foreign).as_posix()}")
    elif op == "link_out":
        _replace_with_link(path, outside / "passwd")
    elif op == "link_passwd":
        _replace_with_link(path, PASSWD)
    elif op == "folder":
        _remove(path)
        path.mkdir()
        (path / "inside.txt").write_text("a folder where a file was\n")
    elif op == "json_top":
        depth = 10_000
        text = {"deep": "[" * depth + "]" * depth}.get(case.arg, case.arg)
        path.write_text(text)
    elif op == "json_key":
        key, n = case.arg
        content = json.loads(data)
        content[key] = WRONG_VALUES[(n + rng.randrange(len(WRONG_VALUES))) % len(WRONG_VALUES)]
        case.notes.append(f"{key} = {content[key]!r}")
        path.write_text(json.dumps(content, indent=2))
    elif op == "json_literal":
        key, literal = case.arg
        path.write_text(_json_dump_with_literal(json.loads(data), key, literal))
    elif op in ("torn", "garbage_line", "dup_line", "swap_lines", "huge_value", "drop_first", "crlf"):
        _mutate_journal(op, path, data, rng)
    else:
        _mutate_folder(op, run, foreign, outside, rng)


def _mutate_journal(op: str, path: Path, data: bytes, rng: random.Random) -> None:
    lines = data.splitlines(keepends=True)
    if op == "torn":
        last = lines[-1]
        lines[-1] = last[: len(last) // 2]
    elif op == "garbage_line":
        lines.insert(rng.randrange(1, len(lines)), b"\x00\xffnot json at all {\n")
    elif op == "dup_line":
        n = rng.randrange(len(lines))
        lines.insert(n, lines[n])
    elif op == "swap_lines":
        a, b = rng.sample(range(len(lines)), 2)
        lines[a], lines[b] = lines[b], lines[a]
    elif op == "huge_value":
        for n, line in enumerate(lines):
            if b'"value":' in line and b'"value":null' not in line:
                record = json.loads(line)
                record["value"] = "__HUGE__"
                lines[n] = json.dumps(record).replace('"__HUGE__"', "1" + "0" * 400).encode() + b"\n"
                break
    elif op == "drop_first":
        lines = lines[1:]
    elif op == "crlf":
        lines = [line.rstrip(b"\n") + b"\r\n" for line in lines]
    path.write_bytes(b"".join(lines))


def _mutate_folder(op: str, run: Path, foreign: Path, outside: Path, rng: random.Random) -> None:
    best, artifacts = run / "best", run / "artifacts"
    if op == "extra_best":
        (best / "extra.bin").write_bytes(os.urandom(64))
    elif op == "extra_member":
        (best / "member_0" / "notes.txt").write_text("added after the run\n")
    elif op == "extra_artifact":
        (artifacts / "00000000-0000-4000-8000-000000000000").write_bytes(b"\x80\x04not a model")
    elif op == "extra_root":
        (run / "notes.txt").write_text("a note the user added\n")
    elif op == "best_link_foreign":
        shutil.rmtree(best)
        best.symlink_to(outside / "foreign" / "best")
    elif op == "best_missing":
        shutil.rmtree(best)
    elif op == "artifacts_missing":
        shutil.rmtree(artifacts)
    elif op == "artifacts_link_out":
        shutil.rmtree(artifacts)
        artifacts.symlink_to(outside / "folder")
    elif op == "swap_members":  # or, with one member, move it where model.json does not look
        (best / "member_0").rename(best / "member_tmp")
        if (best / "member_1").exists():
            (best / "member_1").rename(best / "member_0")
        (best / "member_tmp").rename(best / "member_1")
    elif op == "member_link_out":
        shutil.rmtree(best / "member_0")
        (best / "member_0").symlink_to(outside / "foreign" / "best" / "member_0")
    elif op == "run_json_link_foreign":
        _replace_with_link(run / "run.json", outside / "foreign" / "run.json")
    elif op == "journal_link_foreign":
        _replace_with_link(run / "study.journal", outside / "foreign" / "study.journal")
    elif op == "best_is_file":
        shutil.rmtree(best)
        best.write_text("not a folder\n")
    elif op == "artifacts_is_file":
        shutil.rmtree(artifacts)
        artifacts.write_text("not a folder\n")
    elif op == "unreadable_run_json":
        (run / "run.json").write_bytes(b"\xff\xfe" + os.urandom(40))
    else:
        raise ValueError(f"unknown mutation {op}")


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
