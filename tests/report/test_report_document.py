"""Typed report sections (automl.report.document): one description, HTML and Markdown escaped by construction."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from automl.kit import (
    Chart,
    Figures,
    Heading,
    ImageGrid,
    ImageGroup,
    Lines,
    Paragraph,
    Section,
    Strong,
    Table,
    Thumbnail,
)

HOSTILE = ('<script>alert(1)</script> [x](javascript:alert(1)) ![i](http://evil/p.png) **b** | '
           '&amp; `c` <img src=x onerror=alert(1)>')
PIXEL = "data:image/png;base64,iVBORw0KGgo="


def _every_block(text: str) -> Section:
    """A section whose every text slot holds ``text``."""
    return Section(text, [
        Paragraph(text), Paragraph(text, note=True), Heading(text),
        Table([text, "n"], [[text, 1.5], [Strong(text), Lines([text, Strong(text)], ordered=True)],
                            [Lines([text, text]), 2]], css_id="t", numeric=(1,), collapsed=text),
        Figures([Chart("c", "title", "<svg></svg>", caption=text)]),
        ImageGrid("g", text, [ImageGroup(text, [Thumbnail(PIXEL, text)]),
                              ImageGroup(None, [Thumbnail(PIXEL, text, lines=[text, text])])],
                  text=Table(["file"], [[text]])),
    ])


class _Tags(HTMLParser):
    """Every element and attribute of a page, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def test_no_text_becomes_html_markup() -> None:
    page = _every_block(HOSTILE).html()
    parser = _Tags()
    parser.feed(page)
    assert {tag for tag, _ in parser.tags} <= {
        "p", "h3", "details", "summary", "table", "thead", "tbody", "tr", "th", "td", "strong", "br", "ol", "li", "div",
        "figure", "figcaption", "svg", "img", "span"}, "no element from the data"
    attributes = {name for _, attrs in parser.tags for name in attrs}
    assert attributes <= {"class", "style", "id", "data-chart", "src", "alt", "title", "width", "height", "loading"}
    assert [a["src"] for tag, a in parser.tags if tag == "img"] == [PIXEL, PIXEL], "no image but the thumbnails"
    assert page.count(html.escape(HOSTILE)) >= 10, "every text slot is shown, escaped"


def test_no_text_becomes_a_markdown_link_image_tag_or_emphasis() -> None:
    text = _every_block(HOSTILE).markdown()
    assert "](" not in text.replace("\\](", ""), "no link or image"
    assert re.search(r"(?<!\\)<[A-Za-z/]", text) is None, "no raw tag"
    assert re.search(r"(?<!\\)\*\*b(?<!\\)\*\*", text) is None, "no emphasis from the data"
    assert "**\\<script>" in text, "Strong is bold, its text still escaped"


@pytest.mark.parametrize("uri", ["http://evil/p.png", "javascript:alert(1)", 'data:image/png;base64,AA" onerror="x',
                                 "data:text/html;base64,PHNjcmlwdD4=", "file:///etc/passwd"])
def test_a_thumbnail_is_only_an_encoded_image(uri: str) -> None:
    page = Section("T", [ImageGrid("g", "", [ImageGroup("a", [Thumbnail(uri, "f.png")])], Table(["f"], []))]).html()
    assert "<img" not in page and "missing" in page, page


def test_tables_render_the_same_rows_in_both_formats() -> None:
    section = Section("T", [Table(["model", "score"], [["lightgbm", "0.91"], ["linear", "0.88"]], numeric=(1,),
                                  collapsed="as a table")])
    assert section.html() == ("<details><summary>as a table</summary><table><thead><tr><th>model</th>"
                              "<th class='num'>score</th></tr></thead><tbody><tr><td>lightgbm</td>"
                              "<td class='num'>0.91</td></tr><tr><td>linear</td><td class='num'>0.88</td></tr>"
                              "</tbody></table></details>")
    assert section.markdown() == "| model | score |\n|---|---:|\n| lightgbm | 0.91 |\n| linear | 0.88 |"


def test_a_ranking_cell_is_an_ordered_list_with_its_hits_in_bold() -> None:
    cell = Lines(["a", Strong("✓ b")], ordered=True)
    section = Section("T", [Table(["top 2"], [[cell]])])
    assert '<ol style="margin:0;padding-left:1.6em"><li>a</li><li><strong>✓ b</strong></li></ol>' in section.html()
    assert section.markdown().splitlines()[-1] == "| a, **✓ b** |"


def test_figures_keep_their_svg_and_give_markdown_their_captions() -> None:
    chart = Chart("terms", "Terms", "<svg><text>x</text></svg>", caption="Words per class")
    section = Section("T", [Figures([chart])])
    assert '<figure class="chart" data-chart="terms"><svg><text>x</text></svg>' in section.html()
    assert section.markdown() == "Words per class"


def test_something_that_is_not_a_block_is_refused() -> None:
    with pytest.raises(TypeError, match="not a block"):
        Section("T", ["<b>raw</b>"]).html()  # type: ignore[list-item]


def test_the_core_renders_a_tasks_own_sections_only_for_its_runs(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from automl.report.context import plugin_sections

    asked = []

    def report(run):  # noqa: ANN001, ANN202 - a task's report function
        asked.append(run.record.task)
        return [Section("Mine", [Paragraph("<b>")])]

    task = SimpleNamespace(report=report)
    empty_hook = SimpleNamespace(automl_report_sections=SimpleNamespace(get_hookimpls=list))
    catalog = SimpleNamespace(task=lambda name: task if name == "mine" else SimpleNamespace(report=None),
                              pm=SimpleNamespace(hook=empty_hook))
    mine = SimpleNamespace(record=SimpleNamespace(task="mine"), catalog=catalog)
    other = SimpleNamespace(record=SimpleNamespace(task="other"), catalog=catalog)
    assert plugin_sections(mine) == [{"title": "Mine", "html": "<p>&lt;b&gt;</p>", "markdown": "\\<b>"}]
    assert plugin_sections(other) == []
    assert asked == ["mine"]
