"""The cases of the run-folder fuzzer (tests/security/test_run_folder_fuzz.py): what to break, and how.

:func:`plan` lists the cases (a fixed list for a given run and seed, the same
on every call), each a change of one file of the run (byte flips, truncation,
deletion, a file of the other run, symbolic links out of the run, JSON of the
wrong shape, a torn or shuffled journal) or of the folder as a whole, with the
commands it meets; :func:`mutate` applies a case to a copy of the run. The
driver (fuzz_driver.py, the child process) runs the commands and judges them;
this module is never run as a script, so what it defines exists once in the
child.
"""

from __future__ import annotations

import json
import os
import random
import shutil
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
