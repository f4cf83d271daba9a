"""The hostile corpus, more: paths, links and hostile JSON in a received run folder.

Member paths that climb out of the run, symbolic links where the commands
read or write, JSON nested 10,000 levels deep or of the wrong type, huge and
non-finite numbers, folders where files belong, and re-signed folders.

Registered into hostile_kit.CASES when imported (hostile.py imports the case
modules in section order, which is the order the corpus runs in). Each case
returns its problems; ``[]`` is the safe outcome.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from hostile_kit import (
    ESCAPES,
    RESUMING,
    Ctx,
    absent,
    case,
    digest,
    edit_json,
    journal_lines,
    member,
    ok_or_one_error,
    one_error,
    raw_controls,
    rerecord,
    set_model_name,
    succeeded,
    tear_journal,
    unchanged,
    write_journal,
)

# -- more: paths, links, hostile JSON ----------------------------------------------------------------------------
for _path in ("../../../outside", "/etc", "member_0/../../..", "C:\\Windows", ""):
    def _member_path(ctx: Ctx, path: str = _path) -> list[str]:
        run = ctx.run()
        edit_json(run / "best" / "model.json", lambda d: d["members"][0].update(path=path))
        rerecord(run)
        return one_error(ctx.cli_run("predict", run, ctx.new))

    case(f"model.json member path {_path!r}, checksums rewritten: predict")(_member_path)


@case("best/ is a symbolic link to another run's best/: predict")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    shutil.rmtree(run / "best")
    (run / "best").symlink_to(other / "best")
    r = ctx.cli_run("predict", run, ctx.new)
    return ok_or_one_error(r)


@case("best/ is a symbolic link to another run's best/: resume writes nothing there")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    before = {p.name: digest(p) for p in (other / "best").iterdir() if p.is_file()}
    shutil.rmtree(run / "best")
    (run / "best").symlink_to(other / "best")
    r = ctx.cli_run("resume", run, "--quiet")
    after = {p.name: digest(p) for p in (other / "best").iterdir() if p.is_file()} if (other / "best").is_dir() \
        else {}
    return ok_or_one_error(r, progress=RESUMING) + (
        [] if before == after else ["resume wrote into the other run's best/ through the link"])


@case("report.html is a symbolic link to a user's file: report writes nothing there")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    target = ctx.root / "precious.txt"
    target.write_text("precious\n")
    before = digest(target)
    (run / "report.html").unlink()
    (run / "report.html").symlink_to(target)
    return ok_or_one_error(ctx.cli_run("report", run)) + unchanged(target, before, "the linked file")


@case("study.journal is a symbolic link to another run's journal: resume writes nothing there")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    before = digest(other / "study.journal")
    (run / "study.journal").unlink()
    (run / "study.journal").symlink_to(other / "study.journal")
    r = ctx.cli_run("resume", run, "--quiet")
    return ok_or_one_error(r, progress=RESUMING) + \
        unchanged(other / "study.journal", before, "the other run's journal")


@case("run.json nested 10,000 levels deep: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.json").write_text("[" * 10_000 + "]" * 10_000)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("run.json nested 10,000 levels deep: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.json").write_text('{"a":' * 10_000 + "1" + "}" * 10_000)
    return one_error(ctx.cli_run("leaderboard", run))


@case("best/checksums.json nested 10,000 levels deep: predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "checksums.json").write_text("[" * 10_000 + "]" * 10_000)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("best/model.json nested 10,000 levels deep, checksums rewritten: compare")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "model.json").write_text("[" * 10_000 + "]" * 10_000)
    rerecord(run)
    return one_error(ctx.cli_run("compare", run))


@case("best/model.json a JSON list, checksums rewritten: compare")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "model.json").write_text("[1, 2]")
    rerecord(run)
    return one_error(ctx.cli_run("compare", run))


@case("best/model.json a JSON list, checksums rewritten: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "model.json").write_text("[1, 2]")
    rerecord(run)
    return ok_or_one_error(ctx.cli_run("report", run))


@case("run.json with seed 1e999 (inf): predict")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    text = re.sub(r'"seed": \d+', '"seed": 1e999', (run / "run.json").read_text())
    (run / "run.json").write_text(text)
    return one_error(ctx.cli_run("predict", run, ctx.new))


@case("run.json with time_budget 10**400: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    text = re.sub(r'"time_budget": [0-9.]+', '"time_budget": 1' + "0" * 400, (run / "run.json").read_text())
    (run / "run.json").write_text(text)
    return one_error(ctx.cli_run("resume", run, "--quiet"))


@case("run.json with a task of '../../x': leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    edit_json(run / "run.json", lambda d: d.update(task="../../x"))
    return one_error(ctx.cli_run("leaderboard", run))


@case("run.json with 'study' of the wrong type and 'artifacts' a list: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    edit_json(run / "run.json", lambda d: d.update(study=["x"], artifacts=[1]))
    return one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("run.json a symbolic link to /etc/passwd: leaderboard")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.json").unlink()
    (run / "run.json").symlink_to("/etc/passwd")
    r = ctx.cli_run("leaderboard", run)
    return one_error(r) + absent(r, "root:x:0:0")


@case("run.json data.path pointing at /etc/passwd, checksums rewritten: report --slice-by")
def _(ctx: Ctx) -> list[str]:
    from automl.integrity import CHECKSUMS, record

    run = ctx.run()
    edit_json(run / "run.json", lambda d: d["data"].update(path="/etc/passwd"))
    (run / "best" / CHECKSUMS).unlink()
    record(run / "best", json.loads((run / "run.json").read_text()))
    r = ctx.cli_run("report", run, "--slice-by", "plan")
    return one_error(r) + absent(r, "root:x:0:0", "/bin/bash")


@case("run.lock is a folder: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "run.lock").unlink(missing_ok=True)
    (run / "run.lock").mkdir()
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("ask.lock is a symbolic link out of the run: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    target = ctx.root / "elsewhere.txt"
    target.write_text("keep\n")
    (run / "ask.lock").unlink(missing_ok=True)
    (run / "ask.lock").symlink_to(target)
    r = ctx.cli_run("resume", run, "--quiet")
    return ok_or_one_error(r, progress=RESUMING) + \
        unchanged(target, digest(target) if target.is_file() else "x", "the link's target")


@case("compare on a run with a torn journal and another with a garbage one")
def _(ctx: Ctx) -> list[str]:
    run, other = ctx.run(), ctx.run("other", Path(ctx.config["other"]))
    tear_journal(run)
    (other / "study.journal").write_bytes(b"\x00garbage\n")
    return ok_or_one_error(ctx.cli_run("compare", run, other))


@case("compare of a run with escape sequences in its model names: table")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, f"m{ESCAPES}")
    r = ctx.cli_run("compare", run)
    return ok_or_one_error(r) + raw_controls(r, "both")


@case("a preset YAML with a !!python/object/apply tag: fit runs no code")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    preset = ctx.root / "evil.yaml"
    preset.write_text(f"task: tabular\nmetric: !!python/object/apply:os.system ['touch {ctx.marker}']\n")
    return one_error(ctx.cli_run("fit", data, "--target", "churned", "--preset", preset, "--run-dir", "r",
                                 "--quiet"))


@case("predict input a symbolic link to /dev/zero (an endless file)")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (ctx.root / "zero.csv").symlink_to("/dev/zero")
    return one_error(ctx.cli_run("predict", run, ctx.root / "zero.csv"))


@case("plugin new with a name that climbs out of the folder (../../evil)")
def _(ctx: Ctx) -> list[str]:
    work = ctx.root / "a" / "b"
    work.mkdir(parents=True)
    r = ctx.cli_run("plugin", "new", "../../evil", cwd=work)
    outside = [str(p) for p in ctx.root.rglob("*evil*")]
    return one_error(r) + ([f"plugin new wrote {outside[0]}"] if outside else [])


@case("a tampered best/ (a changed model.txt): compare refuses it in one line")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    path = member(run, "model.txt")
    path.write_text(path.read_text().replace("learning_rate", "learning_rate ", 1))
    return one_error(ctx.cli_run("compare", run, ctx.run("other", ctx.linear)))


@case("a journal value of NaN: leaderboard --format json stays valid JSON")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    lines = (run / "study.journal").read_text().splitlines()
    lines = [re.sub(r'"value": ?[0-9.e-]+', '"value": NaN', line, count=1) for line in lines]
    (run / "study.journal").write_text("\n".join(lines) + "\n")
    r = ctx.cli_run("leaderboard", run, "--format", "json")
    problems = ok_or_one_error(r)
    if r.code == 0:
        try:
            json.loads(r.out, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
        except ValueError as exc:
            problems.append(f"leaderboard --format json is not valid JSON: {exc}")
    return problems


def wrong_typed_attrs(run: Path) -> None:
    """Every trial and study attribute automl reads for the leaderboard, given a type automl never writes."""
    wrong = {"metrics": [1, "a"], "size_bytes": "big", "predict_ms_per_1k": "x", "fit_seconds": {"a": 1},
             "train_rows_per_second": [], "final": "x", "ensemble": [1, 2], "fail_reason": 5, "pruned_reason": []}
    records = journal_lines(run)
    for record in records:
        attrs = record.get("user_attr")
        if isinstance(attrs, dict):
            for key in list(attrs):
                if key in wrong:
                    attrs[key] = wrong[key]
    write_journal(run, records)


for _command in ("leaderboard", "compare", "report"):
    def _wrong_attrs(ctx: Ctx, command: str = _command) -> list[str]:
        run = ctx.run()
        wrong_typed_attrs(run)
        extra = ["--format", "md"] if command == "leaderboard" else []
        return ok_or_one_error(ctx.cli_run(command, run, *extra))

    case(f"journal attributes of the wrong type (metrics a list, size a text, final a text): {_command}")(
        _wrong_attrs)


@case("run.json of another run (other models) beside this run's journal: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    shutil.copyfile(ctx.linear / "run.json", run / "run.json")
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("leaderboard.csv is a folder: resume")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "leaderboard.csv").unlink(missing_ok=True)
    (run / "leaderboard.csv").mkdir()
    return ok_or_one_error(ctx.cli_run("resume", run, "--quiet"), progress=RESUMING)


@case("report.md is a folder: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "report.md").unlink(missing_ok=True)
    (run / "report.md").mkdir()
    return ok_or_one_error(ctx.cli_run("report", run))


@case("a run folder that is a file: predict")
def _(ctx: Ctx) -> list[str]:
    return one_error(ctx.cli_run("predict", ctx.new, ctx.new))


@case("an empty folder as the run: report")
def _(ctx: Ctx) -> list[str]:
    (ctx.root / "empty").mkdir()
    return one_error(ctx.cli_run("report", ctx.root / "empty"))


@case("extra file in best/ with checksums rewritten: predict works, marked foreign")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    (run / "best" / "readme.txt").write_text("hi\n")
    rerecord(run)
    r = ctx.cli_run("predict", run, ctx.new)
    problems = succeeded(r)
    if r.code == 0 and "note:" not in r.err and "warning:" not in r.err:
        problems.append("a re-signed folder loads with no note that it is foreign")
    return problems
