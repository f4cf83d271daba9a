"""The hostile corpus, section 5: clean output.

Terminal escape sequences, bidi overrides and newlines in what a user or a
received folder names (targets, columns, labels, model and folder names)
never reach the terminal raw or forge an error line; Markdown and HTML in
them stay text in the report and the Markdown tables.

Registered into hostile_kit.CASES when imported (hostile.py imports the case
modules in section order, which is the order the corpus runs in). Each case
returns its problems; ``[]`` is the safe outcome.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from hostile_kit import (
    CONTROL,
    ESCAPES,
    MD_LINK,
    NAMES_RUN,
    Ctx,
    Result,
    case,
    names_run,
    ok_or_one_error,
    one_error,
    raw_controls,
    set_model_name,
    succeeded,
)


# -- 5. clean output ---------------------------------------------------------------------------------------------
@case("terminal escape sequences in --target: fit error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", f"churn{ESCAPES}", "--run-dir", "r", "--quiet"))


@case("terminal escape sequences in a column name of the predict input")
def _(ctx: Ctx) -> list[str]:
    import pandas as pd

    run = ctx.run()
    frame = pd.read_csv(ctx.new)
    frame = frame.rename(columns={frame.columns[1]: f"col{ESCAPES}"})
    frame.to_csv(ctx.root / "hostile.csv", index=False)
    return one_error(ctx.cli_run("predict", run, ctx.root / "hostile.csv"))


@case("terminal escape sequences in a model name of the journal: leaderboard table")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, f"lgbm{ESCAPES}")
    r = ctx.cli_run("leaderboard", run)
    return ok_or_one_error(r) + raw_controls(r, "both")


@case("terminal escape sequences in the run folder's name: report's output lines")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run(f"run{ESCAPES}")
    r = ctx.cli_run("report", run)
    return succeeded(r) + raw_controls(r, "both")


@case("a newline in --target cannot forge a second error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "x\nerror: all good, ignore the line above", "--run-dir",
                                 "r", "--quiet"))


@case("a newline in a run folder name: leaderboard of a missing run")
def _(ctx: Ctx) -> list[str]:
    return one_error(ctx.cli_run("leaderboard", "nope\nerror: forged second line"))


@case("a newline in --slice-by: report")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    return one_error(ctx.cli_run("report", run, "--slice-by", "no\nsuch\x1b[2Jcolumn"))


@case("unicode bidi override in --target: fit error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "user\u202egnp.exe", "--run-dir", "r", "--quiet"))


@case("escape sequences in --models: fit error line")
def _(ctx: Ctx) -> list[str]:
    data = ctx.csv("data.csv")
    return one_error(ctx.cli_run("fit", data, "--target", "churned", "--models", f"lightgbm{ESCAPES}",
                                 "--run-dir", "r", "--quiet"))


def _report_md(ctx: Ctx) -> tuple[str, str, Result]:
    """report.md, report.html and the report command's result for the run with hostile names (made once)."""
    if "names_report" not in ctx.shared:
        folder = Path(ctx.config["work"]) / "shared"
        run = names_run(ctx)
        shared_copy = folder / "reported"
        if shared_copy.exists():
            shutil.rmtree(shared_copy)
        shared_copy.mkdir()
        run = Path(shutil.move(str(run), shared_copy / NAMES_RUN))
        r = ctx.cli_run("report", run)
        md = (run / "report.md").read_text() if (run / "report.md").is_file() else ""
        html = (run / "report.html").read_text() if (run / "report.html").is_file() else ""
        ctx.shared["names_report"] = (md, html, r)
    return ctx.shared["names_report"]


def outside_code(md: str) -> str:
    """report.md without its fenced code blocks and code spans, where Markdown syntax is shown, not rendered."""
    md = re.sub(r"^```.*?^```", "", md, flags=re.S | re.M)
    return re.sub(r"(`+)(?:(?!\1).)+\1", "", md)


@case("Markdown link syntax in column names is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    links = [m.group(0) for m in MD_LINK.finditer(md) if "click" in m.group(0)]
    return succeeded(r) + [f"live Markdown link in report.md: {link!r}" for link in links[:3]]


@case("Markdown image syntax in column names is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    image = re.search(r"(?<!\\)!\[[^\]]*(?<!\\)\]\(http", md)
    return succeeded(r) + (["a live ![](http:...) image in report.md"] if image else [])


@case("Markdown link syntax in the run folder's name is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    return succeeded(r) + (["the run folder's name is a live link in report.md"]
                           if "[x](javascript:alert(3))" in md else [])


@case("Markdown link syntax in a class label is escaped in report.md")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    md = outside_code(md)  # a code block shows the shell command literally
    return succeeded(r) + (["the class label is a live link in report.md"]
                           if "[leave](javascript:alert(2))" in md else [])


@case("the reproduce command in report.md is the literal shell-quoted command (no HTML entities)")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    problems = succeeded(r)
    commands = [line for line in md.splitlines() if "automl fit" in line]
    if not commands:
        return problems + ["report.md shows no 'automl fit' command"]
    if not any("'data&<x>.csv'" in line for line in commands):
        problems.append(f"the command in report.md is not the shell-quoted command: {commands[0][:160]!r}")
    entities = [line for line in commands if re.search(r"&(amp|lt|gt|quot|#\d+);", line)]
    return problems + ([f"HTML entities in the command: {entities[0][:160]!r}"] if entities else [])


@case("HTML in column names stays text in report.html (no tag, no javascript: link)")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    problems = succeeded(r)
    if "<b>&amp;</b>" in html:
        problems.append("a column's <b> tag is live in report.html")
    if re.search(r"href\s*=\s*[\"']?\s*javascript:", html, re.I):
        problems.append("a javascript: link in report.html")
    return problems


@case("escape sequences and bidi in column names never reach report.md raw")
def _(ctx: Ctx) -> list[str]:
    md, html, r = _report_md(ctx)
    found = sorted({repr(c) for c in CONTROL.findall(md)})
    return succeeded(r) + ([f"raw control characters in report.md: {found}"] if found else [])


@case("pipes and newlines in the journal's model names: leaderboard --format md keeps its table")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, "a|b\n| injected | row |")
    r = ctx.cli_run("leaderboard", run, "--format", "md")
    problems = ok_or_one_error(r)
    if r.code == 0:
        rows = [line for line in r.out.splitlines() if line.strip()]
        width = len(re.findall(r"(?<!\\)\|", rows[0])) if rows else 0
        bad = [line for line in rows if len(re.findall(r"(?<!\\)\|", line)) != width]
        problems += [f"a Markdown row has other columns than the header: {bad[0][:120]!r}"] if bad else []
    return problems


@case("pipes in model names: compare --format md keeps its tables")
def _(ctx: Ctx) -> list[str]:
    run = ctx.run()
    set_model_name(run, "a|b\nc")
    r = ctx.cli_run("compare", run, ctx.run("other", Path(ctx.config["other"])), "--format", "md")
    problems = ok_or_one_error(r)
    for line in r.out.splitlines() if r.code == 0 else []:
        if line.startswith("|") and not line.rstrip().endswith("|"):
            problems.append(f"a broken Markdown row: {line[:120]!r}")
    return problems
