"""Stakeholder reports (HTML and Markdown) rendered from templates/report/.

User-controlled text (column names, labels, file names) reaches the page only
through Jinja2's autoescaping.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl.api import Run


def _environment(autoescape: bool):  # noqa: ANN202 - a jinja2 Environment
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("automl.templates", "report"),
        autoescape=autoescape,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def context(run: Run) -> dict[str, Any]:
    from automl.leaderboard import format_params

    manifest = run.manifest
    board = run.leaderboard_rows()
    for row in board:
        row["params_text"] = format_params(row["params"])
    complete = [r for r in board if r["score"] is not None]
    description = run.model_description() if (run.dir.best / "model.json").is_file() else None
    sections = plugin_sections(run)
    return {
        "manifest": manifest,
        "board": board,
        "best": complete[0] if complete else None,
        "final": description,
        "n_trials": len(board),
        "sections": sections,
    }


def plugin_sections(run: Run) -> list[dict[str, str]]:
    """Sections added by plugins; a malformed one is skipped with a warning naming its plugin."""
    import logging

    from automl.plugins import call_each

    sections = []
    for plugin, returned in call_each(run.catalog.pm, "automl_report_sections", run=run):
        for section in returned or []:
            if not isinstance(section, dict) or "title" not in section or not (
                "html" in section or "markdown" in section
            ):
                logging.getLogger(__name__).warning(
                    "plugin '%s' returned a report section without a title and html or markdown; skipped", plugin
                )
                continue
            sections.append({"title": str(section["title"]), "html": section.get("html"),
                             "markdown": str(section.get("markdown") or "")})
    return sections


def write_report(run: Run, out: str | Path | None = None) -> Path:
    """Write report.html and report.md (beside ``out`` if given); returns the HTML path."""
    data = context(run)
    html_path = Path(out) if out else run.path / "report.html"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(_environment(True).get_template("report.html.j2").render(**data))
    html_path.with_suffix(".md").write_text(_environment(False).get_template("report.md.j2").render(**data))
    return html_path
