"""The tabular task's report section: which columns drive the predictions."""

from __future__ import annotations

import html
from typing import Any

import numpy as np

from automl.kit import note_section
from automl_plugins.tabular import explain, importance

TOP = 15
TITLE = "What drives the predictions"


def section(run: Any) -> list[dict[str, str]] | None:
    """The section from the importances saved when the fit finished, or computed now for a run without them."""
    if not importance.is_final_tabular(run):
        return None
    found = importance.load(run) or importance.compute(run)
    if found is None:
        return None
    if isinstance(found, str):
        return [note_section(TITLE, found, css_class="note")]
    return [_render(found.permutation, found.rounds, found.shap, found.shap_from, found.rows, run.record.metric)]


def _render(permutation: list[explain.Importance], rounds: int, shap: list[explain.Importance],
            shap_from: str, n_rows: int, metric: str) -> dict[str, str]:
    from automl.kit import charts

    intro = (f"Permutation importance: how much the validation {metric} drops when one column's values are "
             f"shuffled (mean of {rounds} shuffles over {n_rows:,} rows the models did not train on). "
             "A column near zero can be removed without loss.")
    figures: list[str] = []
    notes: list[str] = []
    markdown = [intro, "", f"| column | drop in {metric} | ± | mean abs SHAP |", "|---|---:|---:|---:|"]
    by_shap = {i.column: i.mean for i in shap}
    if charts.available() and permutation:
        top = permutation[:TOP]
        figures.append(charts.bar_chart(
            "permutation_importance", "Permutation importance", [i.column for i in top], [i.mean for i in top],
            errors=[i.std for i in top], xlabel=f"drop in validation {metric}", value_format="{:.3g}",
            caption="Longer bars: columns the model relies on more. Whiskers: spread over the shuffles.").html())
    if charts.available() and shap:
        top = shap[:TOP]
        figures.append(charts.bar_chart(
            "shap", "SHAP: average impact on the prediction", [i.column for i in top], [i.mean for i in top],
            xlabel="mean |SHAP value|", value_format="{:.3g}",
            caption=f"Mean absolute SHAP value per column for {shap_from}, on rows it did not train on.").html())
    if not shap:
        notes.append(f"<p class='note'>{html.escape(shap_from)}</p>")
    rows_html = "".join(
        f"<tr><td>{html.escape(i.column)}</td><td class='num'>{i.mean:.4g}</td><td class='num'>{i.std:.2g}</td>"
        f"<td class='num'>{_fmt(by_shap.get(i.column))}</td></tr>" for i in permutation)
    table = (f"<details><summary>All {len(permutation)} columns</summary><table id='column-importance'><thead>"
                 f"<tr><th>column</th><th class='num'>drop in {html.escape(metric)}</th><th class='num'>±</th>"
                 f"<th class='num'>mean |SHAP|</th></tr></thead><tbody>{rows_html}</tbody></table></details>")
    for i in permutation:
        markdown.append(f"| {_cell(i.column)} | {i.mean:.4g} | {i.std:.2g} | {_fmt(by_shap.get(i.column))} |")
    if shap:
        markdown += ["", f"SHAP values are for {shap_from}."]
    page = f"<p>{html.escape(intro)}</p><div class='charts'>{''.join(figures)}</div>{''.join(notes)}{table}"
    return {"title": TITLE, "html": page, "markdown": "\n".join(markdown)}


def _fmt(value: float | None) -> str:
    return "–" if value is None or not np.isfinite(value) else f"{value:.3g}"


def _cell(text: str) -> str:
    from automl.kit import markdown_cell

    return markdown_cell(text)
