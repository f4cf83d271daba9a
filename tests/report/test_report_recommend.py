"""The recommend task's report sections (issue 8): metrics per model, example users' top-K, and coverage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rendering import fit_and_report, html_section

from automl_plugins.recommend.sample import interactions_frame

TITLE = "Recommendations: examples and coverage"
FIRST_USER = "<b>u0001</b>"  # sorts first, so it is the first example user


@pytest.fixture(scope="module")
def report(tmp_path_factory, cli) -> tuple[str, str, Path]:  # noqa: ANN001
    """Interactions with an item title column (titles hold markup), a 3-trial run, its report."""
    base = tmp_path_factory.mktemp("report_recommend")
    frame = interactions_frame(n_users=120, n_items=80, seed=0)
    frame["user_id"] = frame["user_id"].replace({"u0001": FIRST_USER})
    frame["title"] = "<i>Title</i> of " + frame["item_id"]
    frame.to_csv(base / "interactions.csv", index=False)
    return fit_and_report(cli, base, "interactions.csv", "--task", "recommend", "--models", "popularity,itemknn,ease",
              "--trials", "3")


def _section(page: str, title: str = TITLE) -> str:
    return html_section(page, title)


def test_examples_table_and_coverage_chart(report: tuple[str, str, Path]) -> None:
    page, markdown, _ = report
    section = _section(page)
    assert 'id="recommendation-examples"' in section and "held-out found" in section
    assert '<figure class="chart" data-chart="coverage">' in section
    assert '<figure class="chart" data-chart="recommended_popularity">' in section
    assert "Title&lt;/i&gt; of i0" in section, "items are shown by their title"
    assert "final model" in section and "popularity" in section
    assert f"## {TITLE}" in markdown and "**Example users**" in markdown and "| model | coverage |" in markdown
    assert "Recommendations: best trial of each model" in page, "the metrics table stays"


def test_user_ids_and_titles_are_escaped(report: tuple[str, str, Path]) -> None:
    page, markdown, _ = report
    section = _section(page)
    assert "&lt;b&gt;u0001&lt;/b&gt;" in section and FIRST_USER not in section
    assert "&lt;i&gt;Title&lt;/i&gt;" in section and "<i>Title" not in section
    part = markdown.split(f"## {TITLE}", 1)[1].split("\n## ", 1)[0]
    assert FIRST_USER not in part and "\\<i>Title\\</i> of i0" in part  # a tag shows as text: backslashed
    assert not re.search(r"(?<!\\)<[A-Za-z/]", part), "every tag of the data is escaped in report.md"


def test_section_is_the_tasks_own_and_needs_a_final_model(tmp_path) -> None:  # noqa: ANN001
    from types import SimpleNamespace

    from automl_plugins.recommend import PLUGIN
    from automl_plugins.recommend.report import examples_section, section
    from automl_plugins.recommend.task import RECOMMEND

    assert RECOMMEND.report is section, "declared on the task: the core asks for it only for recommend runs"
    assert PLUGIN.automl_report_sections(run=SimpleNamespace()) is None, "no longer a section for every run"
    assert examples_section(SimpleNamespace(dir=SimpleNamespace(best=tmp_path))) is None


def test_without_matplotlib_the_section_is_tables(report: tuple[str, str, Path], monkeypatch) -> None:  # noqa: ANN001
    from automl.api import Run
    from automl.report import charts
    from automl_plugins.recommend.report import section

    monkeypatch.setattr(charts, "available", lambda: False)
    sections = {s.title: s for s in section(Run.load(report[2]))}
    assert TITLE in sections
    page, markdown = sections[TITLE].html(), sections[TITLE].markdown()
    assert "data-chart=\"coverage\"" not in page and "<details>" not in page, "the table is the only coverage"
    assert "<table" in page and "Share of the" in page and "|---|" in markdown


def test_hits_are_marked_in_the_ranked_list(report: tuple[str, str, Path]) -> None:
    page, markdown, _ = report
    examples = _section(page).split('id="recommendation-examples"', 1)[1].split("</table>", 1)[0]
    assert examples.count("<ol") == 4, "each example user's top-K is an ordered list"
    assert re.search(r"<li><strong>✓ [^<]+</strong></li>", examples), "a held-out item found is bold, with a ✓"
    assert re.search(r"\*\*✓ [^*]+\*\*", markdown.split(f"## {TITLE}", 1)[1])
    assert "<details><summary>Coverage as a table</summary>" in _section(page), "the chart's numbers, folded"
