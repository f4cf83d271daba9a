"""The tabular task's report section: which columns drive the predictions."""

from __future__ import annotations

from typing import Any

import numpy as np

from automl.kit import Figures, Paragraph, Section, Table, note_section
from automl_plugins.tabular import explain, importance

TOP = 15
TITLE = "What drives the predictions"


def section(run: Any) -> list[Section] | None:
    """The section from the importances saved when the fit finished, or computed now for a run without them
    (a run of the tabular task: ``TaskSpec.report``)."""
    if not (run.dir.best / "model.json").is_file():
        return None
    found = importance.load(run) or importance.compute(run)
    if found is None:
        return None
    if isinstance(found, str):
        return [note_section(TITLE, found)]
    return [_render(found.permutation, found.rounds, found.shap, found.shap_from, found.rows, run.record.metric)]


def _render(permutation: list[explain.Importance], rounds: int, shap: list[explain.Importance],
            shap_from: str, n_rows: int, metric: str) -> Section:
    intro = (f"Permutation importance: how much the validation {metric} drops when one column's values are "
             f"shuffled (mean of {rounds} shuffles over {n_rows:,} rows the models did not train on). "
             "A column near zero can be removed without loss.")
    charts = _charts(permutation, shap, shap_from, metric)
    by_shap = {i.column: i.mean for i in shap}
    table = Table(["column", f"drop in {metric}", "±", "mean |SHAP|"],
                  [[i.column, f"{i.mean:.4g}", f"{i.std:.2g}", _fmt(by_shap.get(i.column))] for i in permutation],
                  css_id="column-importance", numeric=(1, 2, 3), collapsed=f"All {len(permutation)} columns")
    blocks: list[Any] = [Paragraph(intro)]
    if charts:
        blocks.append(Figures(charts))
    blocks.append(Paragraph(f"SHAP values are for {shap_from}.") if shap else Paragraph(shap_from, note=True))
    blocks.append(table)
    return Section(TITLE, blocks)


def _charts(permutation: list[explain.Importance], shap: list[explain.Importance], shap_from: str,
            metric: str) -> list[Any]:
    from automl.kit import charts

    if not charts.available():
        return []
    drawn = []
    if permutation:
        top = permutation[:TOP]
        drawn.append(charts.bar_chart(
            "permutation_importance", "Permutation importance", [i.column for i in top], [i.mean for i in top],
            errors=[i.std for i in top], xlabel=f"drop in validation {metric}", value_format="{:.3g}",
            caption="Longer bars: columns the model relies on more. Whiskers: spread over the shuffles."))
    if shap:
        top = shap[:TOP]
        drawn.append(charts.bar_chart(
            "shap", "SHAP: average impact on the prediction", [i.column for i in top], [i.mean for i in top],
            xlabel="mean |SHAP value|", value_format="{:.3g}",
            caption=f"Mean absolute SHAP value per column for {shap_from}, on rows it did not train on."))
    return drawn


def _fmt(value: float | None) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.3g}"
