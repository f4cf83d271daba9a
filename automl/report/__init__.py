"""Stakeholder reports (HTML and Markdown) rendered from templates/report/.

User-controlled text (column names, labels, file names) reaches the page only
through Jinja2's autoescaping; charts are inline SVG whose text Matplotlib
escapes, and plugin sections are HTML their plugin built with escaping.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl.api import Run


def _environment(autoescape: bool) -> Any:
    """HTML is autoescaped; Markdown escapes ``<``, ``>`` and ``&`` of every printed value, so a tag in the
    data shows as text in any Markdown viewer."""
    import jinja2

    from automl.report.tables import markdown_cell, markdown_text

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("automl.templates", "report"),
        autoescape=autoescape,
        finalize=None if autoescape else markdown_text,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["duration"] = duration
    environment.filters["size"] = size
    environment.filters["cell"] = markdown_cell
    return environment


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


def size(n_bytes: float | None) -> str:
    if n_bytes is None:
        return "–"
    for unit in ("bytes", "KB", "MB"):
        if n_bytes < 1024:
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.1f} GB"


def write_report(run: Run, out: str | Path | None = None, slice_by: str | None = None) -> Path:
    """Write report.html and report.md (beside ``out`` if given); returns the HTML path."""
    from automl.report.context import build

    data = build(run, slice_by=slice_by)
    html_path = Path(out) if out else run.path / "report.html"
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.write_text(_environment(True).get_template("report.html.j2").render(**data))
    html_path.with_suffix(".md").write_text(_environment(False).get_template("report.md.j2").render(**data))
    return html_path
