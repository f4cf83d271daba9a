"""The finetune task's report section (issue 8): the text section, on a tiny random BERT's holdout predictions."""

from __future__ import annotations

import pytest
from rendering import fit_and_report, html_section

pytest.importorskip("transformers", reason="the finetune extra is not installed: pip install 'automl[finetune]'")

TITLE = "Most informative terms"
NEGATIVE = "<b>negative</b>"  # a class label with markup


@pytest.fixture(scope="module")
def report(tmp_path_factory, cli) -> tuple[str, str]:  # noqa: ANN001
    from automl_plugins.text.finetune.sample import reviews_frame
    from automl_plugins.text.finetune.tiny import make_tiny_bert

    base = tmp_path_factory.mktemp("report_finetune")
    frame = reviews_frame(200, seed=0)
    frame["sentiment"] = frame["sentiment"].replace({"negative": NEGATIVE})
    frame.to_csv(base / "reviews.csv", index=False)
    backbone = make_tiny_bert(base / "tiny-bert", frame["review"])
    page, markdown, _ = fit_and_report(cli, base, "reviews.csv", "--task", "finetune", "--target", "sentiment",
                                       "--backbone", backbone, "--trials", "2", "--time-budget", "120")
    return page, markdown


def _section(page: str) -> str:
    return html_section(page, TITLE)


def test_terms_of_both_classes_and_misclassified_texts(report: tuple[str, str]) -> None:
    page, markdown = report
    section = _section(page)
    assert '<figure class="chart" data-chart="informative_terms">' in section and "<svg" in section
    assert "Misclassified texts" in section
    part = markdown.split(f"## {TITLE}", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in part.split("| class | terms", 1)[1].splitlines()[2:] if line.startswith("| ")]
    assert [row.split(" | ")[0] for row in rows[:2]] == ["| positive", "| \\<b>negative\\</b>"], rows


def test_labels_are_escaped(report: tuple[str, str]) -> None:
    page, _ = report
    section = _section(page)
    assert "&lt;b&gt;negative&lt;/b&gt;" in section and NEGATIVE not in section
