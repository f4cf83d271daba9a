"""Text from the data is shown, never obeyed: in the terminal and in report.md (issue 15, "clean output").

Column names, class labels and the run folder's name hold terminal escape
sequences (colour, window title, clear screen), a carriage return, a newline,
a bidi override, rich markup and Markdown links and images. The terminal gets
no raw ESC, BEL or CR and every ``error:`` is one line; report.md, rendered by
a Markdown parser that would follow any link, has no link or image from the
data; and the reproduce command reads literally, with no HTML entity in it.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markdown_it import MarkdownIt

from automl.report.markdown import code_block, code_span, escape, plugin_markdown
from automl.terminal import printable, printable_lines

HOSTILE = [
    "red \x1b[31mRED\x1b[0m",
    "title \x1b]0;owned\x07",
    "cr\roverwritten",
    "line\nbreak",
    "[x](javascript:alert(1))",
    "![](http://example.invalid/x.png)",
    "bidi \u202eevil\u202c",
    "c1 \x9b31m",
    "[bold]rich[/bold] markup",
    "<b>tag</b> & **bold** _em_ `code` ~~s~~ $x$ | pipe",
    "# heading",
    "- item",
    "1. item",
    "> quote",
    "---",
    "<http://example.invalid/auto>",
    "\\[escaped\\](javascript:alert(2))",
]
RAW_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _render(markdown: str) -> str:
    """HTML as a CommonMark viewer with GFM tables would show it; links of any scheme are followed."""
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])
    parser.validateLink = lambda url: True  # the strictest reader: even javascript: links would be made
    return parser.render(markdown)


# -- units: the two escaping functions ---------------------------------------------------------------------------

@pytest.mark.parametrize("text", HOSTILE)
def test_printable_leaves_no_control_character(text: str) -> None:
    shown = printable(text)
    assert not RAW_CONTROLS.search(shown) and "\n" not in shown and "\r" not in shown
    assert printable(shown) == shown, "escaping is idempotent on its own output"


def test_printable_spells_controls_visibly() -> None:
    assert printable("a\x1b[31mb\r\nc\td\x07\u202e") == "a\\x1b[31mb\\r\\nc\\td\\x07\\u202e"
    assert printable("naïve 名前 emoji 🙂") == "naïve 名前 emoji 🙂"
    assert printable_lines("row 1\nrow\x1b 2") == "row 1\nrow\\x1b 2"


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_markdown_reads_as_written(text: str) -> None:
    html = _render(f"Column: {escape(text)}\n\n| h |\n|---|\n| {escape(text)} |\n")
    assert "<a " not in html and "<img" not in html and "<b>" not in html, html
    assert "<strong>" not in html and "<em>" not in html and "<code>" not in html and "<s>" not in html, html
    assert "<h1>" not in html and "<li>" not in html and "<blockquote>" not in html and "<hr" not in html, html
    assert html.count("<p>") == 1 and html.count("<td>") == 1, "the value stayed in its paragraph and its cell"
    shown = printable(text)
    assert _text(html).count(shown) == 2, (shown, html)


def test_log_records_that_reach_stderr_are_one_escaped_line(capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import logging

    from automl.terminal import _SafeLastResort

    monkeypatch.setenv("PGPASSWORD", "log-Secret-9")
    record = logging.makeLogRecord({"msg": "the chart of %s was left out: %s", "levelno": logging.WARNING,
                                    "args": ("a\nb\x1b[31m", "auth failed for log-Secret-9")})
    _SafeLastResort(logging.WARNING).handle(record)
    assert capsys.readouterr().err == "the chart of a\\nb\\x1b[31m was left out: auth failed for ***\n"


def _text(html: str) -> str:
    """The text a reader sees in ``html``."""
    import html as html_module

    return html_module.unescape(re.sub(r"<[^>]+>", "", html))


def test_plugin_markdown_keeps_its_formatting_but_makes_no_link() -> None:
    section = "**Bold** intro\n\n| a | b |\n|---|---|\n| [x](javascript:1) | ![](http://e.invalid/i.png) |\n<img src=x>"
    html = _render(plugin_markdown(section))
    assert "<strong>Bold</strong>" in html and "<table>" in html
    assert "<a " not in html and "<img" not in html


@pytest.mark.parametrize("command", [
    "automl fit 'a b.csv' --target y --run-dir 'r > x' --storage postgresql://u@h/d?sslmode=require",
    "automl fit data.csv --target 'a`b``c' --run-dir \"it's\"",
    "automl fit $'x\\x1b[31m.csv' --target '<script>&amp;'",
])
def test_code_holds_the_command_literally(command: str) -> None:
    for markdown in (code_block(command), code_span(command)):
        html = _render(str(markdown))
        assert "<code" in html
        assert _text(html).strip() == command, html
        assert "&amp;gt;" not in html and "&#39;" not in markdown


# -- end to end: the CLI on a hostile CSV ------------------------------------------------------------------------

RUN_NAME = "run [r](javascript:alert(3)) ![](x.png) \x1b[1m"  # a folder name: no '/'
COLUMNS = HOSTILE[:9]
LABELS = ["yes \x1b[2J[y](javascript:alert(4))", "no\r![](http://example.invalid/label.png)"]


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory: pytest.TempPathFactory, cli) -> tuple[Path, list]:  # noqa: ANN001
    base = tmp_path_factory.mktemp("output_escaping")
    rng = np.random.default_rng(0)
    features = rng.normal(size=(240, len(COLUMNS)))
    frame = pd.DataFrame(features, columns=COLUMNS)
    frame["label"] = np.where(features[:, 0] + features[:, 4] > 0, LABELS[0], LABELS[1])
    frame.to_csv(base / "data.csv", index=False, quoting=csv.QUOTE_NONNUMERIC)  # quoted: '\r' stays in the name
    results = [cli("fit", "data.csv", "--target", "label", "--trials", "2", "--models", "linear",
                   "--run-dir", RUN_NAME, cwd=base)]
    assert results[0].returncode == 0, results[0]
    results += [
        cli("leaderboard", RUN_NAME, cwd=base),
        cli("leaderboard", RUN_NAME, "--format", "md", cwd=base),
        cli("report", RUN_NAME, cwd=base),
        cli("compare", RUN_NAME, cwd=base),
        cli("compare", RUN_NAME, "--out", "compare.md", cwd=base),
    ]
    assert all(result.returncode == 0 for result in results), [str(r) for r in results if r.returncode]
    return base, results


@pytest.mark.slow
def test_the_terminal_gets_no_raw_control_character(hostile_run) -> None:  # noqa: ANN001
    _, results = hostile_run
    for result in results:
        for stream in (result.stdout, result.stderr):
            assert not RAW_CONTROLS.search(stream.replace("\n", "")), (result.args, stream)
            assert "\r" not in stream and "\x1b" not in stream and "\x07" not in stream


def test_rich_markup_and_escapes_in_names_are_shown_not_applied() -> None:
    """The leaderboard table and the progress line are drawn by rich: '[bold]' in a name is text, not markup."""
    from types import SimpleNamespace

    from automl.leaderboard import render
    from automl.search.progress import SearchProgress

    name = "[bold]m[/bold]\x1b[31m"
    row = {"rank": 1, "trial": 0, "model": name, "status": "COMPLETE", "score": 0.5, "metric": "m[i]x[/i]",
           "fit_seconds": 1.0, "predict_ms_per_1k": 1.0, "size_bytes": 10, "params": {"k": name},
           "rows_per_second": 1.0, "train_rows_per_second": 1.0, "metrics": {}, "note": name, "selected": True}
    table = render([row], "table")
    assert "[bold]m[/bold]\\x1b[31m" in table and "m[i]x[/i]" in table and "\x1b" not in table
    progress = SearchProgress.__new__(SearchProgress)
    progress.done, progress.best, progress.deadline = 1, None, None
    progress.metric = SimpleNamespace(name="m[i]x[/i]")
    progress.objective = SimpleNamespace(current_model=name)
    from rich.text import Text

    shown = Text.from_markup(progress._describe()).plain
    assert "[bold]m[/bold]\\x1b[31m" in shown and "m[i]x[/i]" in shown and "\x1b" not in shown


@pytest.mark.slow
def test_every_error_is_one_line_even_when_it_quotes_a_newline(hostile_run, cli, user_error) -> None:  # noqa: ANN001
    base, _ = hostile_run
    cases = [
        ("fit", "data.csv", "--target", "no\nsuch \x1b[31mcolumn\r", "--run-dir", "other", "--quiet"),
        ("fit", "missing\n\x1b]0;t\x07.csv", "--target", "label"),
        ("leaderboard", "no\nrun\x1b[2J"),
        ("leaderboard", RUN_NAME, "--format", "x\ny\x1b[31m"),  # a click usage error quotes the value
        ("predict", RUN_NAME, "missing\r\n.csv"),
    ]
    for args in cases:
        result = cli(*args, cwd=base)
        assert result.returncode == 2, result
        assert "Traceback" not in result.stderr and not RAW_CONTROLS.search(result.stderr.replace("\n", "")), result
        assert "\r" not in result.stderr
        if args[0] == "leaderboard" and args[-1].startswith("x"):
            assert sum("Error:" in line for line in result.stderr.splitlines()) == 1, result
        else:
            user_error(result)


@pytest.mark.slow
def test_report_md_has_no_link_image_or_tag_from_the_data(hostile_run) -> None:  # noqa: ANN001
    base, _ = hostile_run
    for path in (base / RUN_NAME / "report.md", base / "compare.md"):
        markdown = path.read_text()
        assert not RAW_CONTROLS.search(markdown.replace("\n", "")) and "\r" not in markdown, path
        html = _render(markdown)
        assert "<a " not in html and "<img" not in html, (path, [m for m in re.findall(r"<(?:a|img) [^>]*>", html)])
        assert "javascript:alert(3)" in _text(html), "the run name reads as written"
    html = _render((base / RUN_NAME / "report.md").read_text())
    for value in [*COLUMNS[4:6], *LABELS]:
        if value in (base / RUN_NAME / "run.json").read_text():  # the names the report shows
            assert printable(value) in _text(html), value


@pytest.mark.slow
def test_report_md_holds_the_command_literally(hostile_run) -> None:  # noqa: ANN001
    base, _ = hostile_run
    command = json.loads((base / RUN_NAME / "run.json").read_text())["command"]
    assert "\x1b" not in command and "\n" not in command and "$'" in command  # bash's quoting for the escape
    markdown = (base / RUN_NAME / "report.md").read_text()
    assert command in markdown, "the command is not in report.md as written"
    assert "&gt;" not in command and "&#39;" not in markdown.split(command)[0][-20:]
    html = _render(markdown)
    assert any(_text(code).strip() == command for code in re.findall(r"<code>.*?</code>", html, re.DOTALL))
