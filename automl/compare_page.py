"""The comparison as a page: HTML (self-contained, with charts) or Markdown.

Both come from templates/report/compare.*.j2 with the same context, so the
two never disagree. Run names, labels and parameters reach the HTML only
through Jinja2's autoescaping; the charts are inline SVG.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl.compare import Comparison, MetricGroup
    from automl.report.charts import Chart

log = logging.getLogger(__name__)
# Matplotlib's <metadata> names its website and a timestamp: not wanted in a page that loads nothing
_SVG_METADATA = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)


def render_page(comparison: Comparison, fmt: str) -> str:
    from automl.report import _environment

    html = fmt == "html"
    context = _context(comparison, with_charts=html)
    return _environment(html).get_template(f"compare.{'html' if html else 'md'}.j2").render(**context)


def _context(comparison: Comparison, with_charts: bool) -> dict[str, Any]:
    from automl.leaderboard import format_params

    groups = []
    for group in comparison.groups:
        board = [{**row, "params_text": format_params(row["params"])} for row in group.board()]
        groups.append({"metric": group.metric, "maximize": group.maximize, "board": board,
                       "runs": [run.name for run in group.runs]})
    charts, chart_note = _charts(comparison.groups) if with_charts else ([], None)
    return {"runs": [run.summary_row() for run in comparison.runs], "groups": groups, "notes": comparison.notes,
            "charts": charts, "chart_note": chart_note, "generated": datetime.now().strftime("%Y-%m-%d %H:%M")}


def _charts(groups: list[MetricGroup]) -> tuple[list[Chart], str | None]:
    """One bar chart of the best score per run for each metric; a note instead when they cannot be drawn."""
    from automl.report import charts

    if not charts.available():
        return [], f"The chart of the best score per run needs matplotlib: {charts.INSTALL_HINT}"
    drawn = []
    for group in groups:
        scores = group.best_scores()
        if not scores:
            continue
        better = "higher" if group.maximize else "lower"
        try:
            chart = charts.bar_chart(name="best_scores", title=f"Best {group.metric} per run",
                                     labels=[name for name, _ in scores], values=[score for _, score in scores],
                                     xlabel=f"{group.metric} ({better} is better)", highlight=0,
                                     caption=f"The best validation {group.metric} of each run; {better} is better.",
                                     zoom=True)
        except Exception as exc:  # noqa: BLE001 - a chart is never worth losing the comparison
            log.warning("the chart of %s was left out: %s", group.metric, exc)
            continue
        drawn.append(charts.Chart(chart.name, chart.title, _SVG_METADATA.sub("", chart.svg, count=1), chart.caption))
    return drawn, None
