"""User-controlled text is escaped everywhere in the report (issue 8).

Column names, class labels, the data file's name and the run folder's name hold ``<script>``,
``<img onerror=...>``, ``{{ }}``, ``{% %}`` and ``$...$`` (matplotlib's maths markup). In the browser no
script may run, no dialog open and no request leave (an injected ``<img src=x>`` would request a file);
the text must read literally, and no template may be evaluated (``x{{ 7*7 }}y`` must never become ``x49y``).
"""

from __future__ import annotations

import csv
import html
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

COLUMNS = [
    "<script>window.__xss=1</script>",
    '<img src=x onerror="window.__xss=2">',
    "{{ 7*7 }}",
    "{% raw %}",
    "spend $x^2$",  # an even number of '$': matplotlib would typeset it as maths; a chart must show it as written
    "tenure",
]
# '$x^2$' first, so that a chart that cuts long labels short ('$x^2$ <scr…') still has to draw it as written
LABELS = ["$x^2$ <script>window.__xss=3</script>", "{{ 7*7 }}"]
TARGET = "label"
# File and folder names cannot hold '/', so no closing tags there.
DATA_NAME = "x{{ 7*7 }}y <img src=x onerror=window.__xss=5>.csv"
RUN_NAME = "run {{ 7*7 }} <b onmouseover=window.__xss=6>bold"
# The fastest family; every chart still appears. (LightGBM rejects feature names with JSON characters such as '"'.)
FAST_MODELS = "linear"


@dataclass
class HostileReport:
    base: Path
    html: Path
    markdown: Path
    opened: object  # conftest.BrowserPage


def hostile_csv(path: Path, rows: int = 300) -> Path:
    features, label = make_classification(n_samples=rows, n_features=len(COLUMNS), n_informative=3, random_state=1)
    frame = pd.DataFrame(features, columns=COLUMNS)
    frame[TARGET] = np.where(label == 1, LABELS[0], LABELS[1])
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def hostile(tmp_path_factory, cli, open_report) -> HostileReport:
    base = tmp_path_factory.mktemp("report_escaping")
    data = hostile_csv(base / DATA_NAME)
    fit = cli("fit", data.name, "--target", TARGET, "--trials", "4", "--time-budget", "60", "--models", FAST_MODELS,
              "--run-dir", RUN_NAME, "--quiet", cwd=base)
    assert fit.returncode == 0, fit
    report = cli("report", RUN_NAME, "--out", "out/report.html", cwd=base)
    assert report.returncode == 0, report
    html = base / "out" / "report.html"
    opened = open_report(html, base / "out" / "report.png")
    return HostileReport(base=base, html=html, markdown=html.with_suffix(".md"), opened=opened)


def test_the_hostile_csv_is_read_as_it_is(hostile: HostileReport) -> None:
    from automl.api import Run

    run = Run.load(hostile.base / RUN_NAME)
    schema = run.schema()
    assert schema["target"] == TARGET
    assert schema["features"] == COLUMNS
    assert sorted(schema["classes"]) == sorted(LABELS)
    with (hostile.base / RUN_NAME / "leaderboard.csv").open(newline="") as handle:
        statuses = [row["status"] for row in csv.DictReader(handle)]
    assert "COMPLETE" in statuses, statuses


def test_no_script_runs_and_nothing_is_requested(hostile: HostileReport) -> None:
    opened = hostile.opened
    ran = opened.js("() => window.__xss")
    assert opened.js("() => typeof window.__xss") == "undefined", f"injected script ran: window.__xss = {ran}"
    # hover everything once: an injected onmouseover handler would fire
    opened.page.eval_on_selector_all("body *", "els => els.forEach(e => e.dispatchEvent(new MouseEvent('mouseover')))")
    assert opened.js("() => typeof window.__xss") == "undefined", "an injected event handler ran"
    assert opened.dialogs == []
    assert opened.requests == [], "an injected element requested a resource"
    assert opened.errors == []


def test_no_injected_element_or_handler_in_the_dom(hostile: HostileReport) -> None:
    injected = hostile.opened.js("""() => {
        const found = [];
        for (const el of document.querySelectorAll('*')) {
            for (const attr of el.getAttributeNames()) {
                if (attr.startsWith('on')) found.push(`${el.tagName} ${attr}=${el.getAttribute(attr)}`);
            }
        }
        for (const s of document.querySelectorAll('script')) {
            if (s.textContent.includes('__xss')) found.push(`SCRIPT ${s.textContent}`);
        }
        for (const img of document.querySelectorAll('img')) {
            if (img.getAttribute('src') === 'x') found.push('IMG src=x');
        }
        return found;
    }""")
    assert injected == []


def test_user_text_reads_literally_in_the_page(hostile: HostileReport) -> None:
    text = hostile.opened.inner_text()
    assert "<script>" in text or "<img src=x onerror=window.__xss=5>" in text, text
    assert "{{ 7*7 }}" in text, text
    assert "x{{ 7*7 }}y" in text, "the data file's name is not shown literally"
    assert "x49y" not in text and "run 49" not in text, "a template was evaluated"
    assert RUN_NAME in hostile.opened.page.title(), "the run name is not the literal page title"


def test_every_column_name_and_label_reads_literally(hostile: HostileReport) -> None:
    """The charts (permutation importance, confusion matrix...) name columns and classes: as plain text."""
    text = hostile.opened.text_content()
    missing = [value for value in [*COLUMNS, *LABELS] if value not in text]
    assert not missing, f"not shown literally in the report: {missing}"
    assert "&lt;script&gt;window.__xss=1&lt;/script&gt;" in hostile.html.read_text()


@pytest.mark.parametrize(("chart", "texts"), [("permutation_importance", COLUMNS), ("confusion_matrix", LABELS)])
def test_charts_name_columns_and_classes_as_written(hostile: HostileReport, chart: str, texts: list[str]) -> None:
    """Chart text (SVG ``<text>``) is the user's text verbatim (long names may end in '…'): not HTML, not a
    template, not maths (``$x^2$`` stays ``$x^2$``, drawn as one text, not typeset)."""
    figure = hostile.opened.page.locator(f'figure.chart[data-chart="{chart}"]')
    assert figure.count() == 1, f"no {chart} chart in the report"
    shown = " ".join(figure.first.evaluate("f => f.textContent").split())
    missing = [text for text in texts if not shown_as_written(text, shown)]
    assert not missing, f"the {chart} chart does not show {missing} as written; its text is {shown[:600]!r}"


def shown_as_written(text: str, shown: str, shortest: int = 8) -> bool:
    """``text`` verbatim in ``shown``, or a long name cut short: a prefix of ``shortest`` or more characters and '…'."""
    text = " ".join(text.split())
    return text in shown or any(
        f"{text[:end].rstrip()}…" in shown for end in range(shortest, len(text))
    )


def test_html_source_is_escaped(hostile: HostileReport) -> None:
    source = hostile.html.read_text()
    for raw in ("<script>window.__xss", "<img src=x", "<b onmouseover"):
        assert raw not in source, f"unescaped {raw!r} in report.html"
    assert "&lt;img src=x onerror=window.__xss=5&gt;" in source
    assert "x{{ 7*7 }}y" in source and "x49y" not in source


def test_markdown_shows_tags_as_text_and_never_evaluates_templates(hostile: HostileReport) -> None:
    """A Markdown viewer renders raw HTML, so report.md escapes the tags in the data (and its Markdown syntax,
    such as the '*' of '7*7'): rendered, they show as written."""
    from markdown_it import MarkdownIt

    markdown = hostile.markdown.read_text()
    page = MarkdownIt("commonmark").enable("table").render(markdown)
    # the reproduce command is a code block: its '<img' is text there, as written, and nowhere else
    assert "<img" not in page and "<script" not in page and "<b " not in page
    assert "\\<img src=x onerror=" in markdown and "\\<b onmouseover=" in markdown  # backslash, not entities
    assert not re.search(r"(?<!\\)&(lt|gt|amp|quot|#\d+);", markdown), "report.md holds no HTML entity"
    assert "x49y" not in markdown and "run 49" not in markdown
    rendered = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "x{{ 7*7 }}y <img src=x onerror=window.__xss=5>.csv" in rendered
    assert RUN_NAME in rendered
