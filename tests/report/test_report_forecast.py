"""The forecast task's report section (issue 8): history, backtest and the forecast with its intervals."""

from __future__ import annotations

from pathlib import Path

import pytest
from rendering import fit_and_report, html_section

from automl_plugins.forecast.sample import sales_frame

TITLE = "Forecast"
STORE = "<b>store_1</b>"  # a series id with markup


@pytest.fixture(scope="module")
def report(tmp_path_factory, cli) -> tuple[str, str, Path]:  # noqa: ANN001
    base = tmp_path_factory.mktemp("report_forecast")
    frame = sales_frame(n_series=3, n_months=48, seed=1)
    frame["store"] = frame["store"].replace({"store_1": STORE})
    frame.to_csv(base / "sales.csv", index=False)
    return fit_and_report(cli, base, "sales.csv", "--target", "units", "--horizon", "6",
                          "--models", "seasonal_naive,ets,theta", "--trials", "4")


def _section(page: str) -> str:
    return html_section(page, TITLE)


def test_forecast_chart_and_table(report: tuple[str, str, Path]) -> None:
    page, markdown, _ = report
    section = _section(page)
    assert '<figure class="chart" data-chart="forecast">' in section and "<svg" in section
    assert "80% and 95% intervals" in section and 'id="forecast-table"' in section
    assert f"## {TITLE}" in markdown
    table = markdown.split(f"## {TITLE}", 1)[1].split("\n## ", 1)[0]
    assert "| store | month | forecast | 80% interval | 95% interval |" in table
    assert table.count("| 2023-0") == 3 * 6, "six months ahead for each of the three stores"


def test_series_ids_are_escaped(report: tuple[str, str, Path]) -> None:
    page, markdown, _ = report
    section = _section(page)
    assert "&lt;b&gt;store_1&lt;/b&gt;" in section and STORE not in section
    assert STORE not in markdown.split(f"## {TITLE}", 1)[1]


def test_the_section_is_the_forecast_tasks_own_and_needs_a_final_model(tmp_path) -> None:  # noqa: ANN001
    from types import SimpleNamespace

    from automl_plugins.forecast import PLUGIN
    from automl_plugins.forecast.report import section
    from automl_plugins.forecast.task import FORECAST

    assert FORECAST.report is section, "declared on the task: the core asks for it only for forecast runs"
    assert PLUGIN.automl_report_sections(run=None) is None, "not a section for the runs of every task"
    assert section(SimpleNamespace(dir=SimpleNamespace(best=tmp_path))) is None


def test_without_matplotlib_the_section_is_tables(report: tuple[str, str, Path], monkeypatch) -> None:  # noqa: ANN001
    from automl.api import Run
    from automl.report import charts
    from automl_plugins.forecast.report import section

    monkeypatch.setattr(charts, "available", lambda: False)
    sections = {s.title: s for s in section(Run.load(report[2]))}
    assert TITLE in sections
    assert "data-chart=\"forecast\"" not in sections[TITLE].html()
    assert "<table" in sections[TITLE].html() and "<details>" not in sections[TITLE].html()
    assert "|---|" in sections[TITLE].markdown()
