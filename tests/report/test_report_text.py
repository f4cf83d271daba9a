"""The text task's report section (issue 8): informative terms per class and misclassified texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from rendering import fit_and_report, html_section

from automl_plugins.text.sample import tickets_frame

TITLE = "Most informative terms"
LABEL = "<b>billing</b>"


@pytest.fixture(scope="module")
def report(tmp_path_factory, cli) -> tuple[str, str, Path]:  # noqa: ANN001
    """A 2-trial run of two fast families on 200 tickets (one class label holds markup), then its report."""
    base = tmp_path_factory.mktemp("report_text")
    frame = tickets_frame(200, seed=0)
    frame["team"] = frame["team"].replace({"billing": LABEL})
    frame.to_csv(base / "tickets.csv", index=False)
    return fit_and_report(cli, base, "tickets.csv", "--task", "text", "--target", "team",
                          "--models", "complement_nb,tfidf_svm", "--trials", "2")


def _section(page: str) -> str:
    return html_section(page, TITLE)


def test_terms_chart_and_misclassified_texts(report: tuple[str, str, Path]) -> None:
    page, markdown, _ = report
    section = _section(page)
    assert '<figure class="chart" data-chart="informative_terms">' in section
    assert "<svg" in section and "final model predicted" in section
    assert 'id="misclassified-texts"' in section or "wrong." in section
    assert f"## {TITLE}" in markdown and "| class | terms" in markdown
    terms = markdown.split("| class | terms", 1)[1].split("\n\n", 1)[0]
    planted = ("invoice", "overcharged", "parcel", "damaged", "username", "sync", "refund", "login")
    assert sum(term in terms for term in planted) >= 3, terms  # words the generator ties to the teams


def test_user_labels_are_escaped(report: tuple[str, str, Path]) -> None:
    page, markdown, _ = report
    section = _section(page)
    assert "&lt;b&gt;billing&lt;/b&gt;" in section
    assert LABEL not in section and "<b>billing" not in page
    assert LABEL not in markdown.split(f"## {TITLE}", 1)[1].split("\n## ", 1)[0]


def test_the_section_is_the_text_tasks_and_finetunes_and_needs_a_final_model(tmp_path: Path) -> None:
    from types import SimpleNamespace

    from automl_plugins.text import PLUGIN
    from automl_plugins.text.report import section
    from automl_plugins.text.task import TEXT

    assert TEXT.report is section, "declared on the task: the core asks for it only for text runs"
    assert PLUGIN.automl_report_sections(run=None) is None, "not a section for the runs of every task"
    assert section(SimpleNamespace(dir=SimpleNamespace(best=tmp_path))) is None


def test_without_matplotlib_the_section_is_tables(report: tuple[str, str, Path], monkeypatch) -> None:  # noqa: ANN001
    from automl.api import Run
    from automl.report import charts
    from automl_plugins.text.report import section

    monkeypatch.setattr(charts, "available", lambda: False)
    sections = {s.title: s for s in section(Run.load(report[2]))}
    assert TITLE in sections
    assert "data-chart=\"informative_terms\"" not in sections[TITLE].html()
    assert "<table" in sections[TITLE].html() and "<details>" not in sections[TITLE].html()
    assert "|---|" in sections[TITLE].markdown()
