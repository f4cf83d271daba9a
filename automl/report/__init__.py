"""Stakeholder reports (HTML and Markdown) rendered from templates/report/.

User-controlled text (column names, labels, file names) reaches the page only
through Jinja2's autoescaping (HTML) or :mod:`automl.markdown` (Markdown);
charts are inline SVG whose text Matplotlib escapes, and plugin sections are
HTML their plugin built with escaping.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from automl.api import Run


def _environment(autoescape: bool) -> Any:
    """HTML is autoescaped. Markdown is escaped by construction too (:mod:`automl.markdown`): every
    printed value is escaped unless a filter made it Markdown (``cell``, ``code``, ``code_block``,
    ``plugin_markdown``), so no name or label in the data can become a link, an image or a tag."""
    import jinja2

    from automl import markdown
    from automl.search.counts import plural

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("automl.templates", "report"),
        autoescape=autoescape,
        finalize=None if autoescape else markdown.finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["duration"] = duration
    environment.filters["size"] = size
    environment.filters["cell"] = markdown.cell
    environment.filters["code"] = markdown.code_span
    environment.filters["code_block"] = markdown.code_block
    environment.filters["plugin_markdown"] = markdown.plugin_markdown
    environment.filters["plural"] = plural  # '1 trial', '3 trials': never '1 trials'
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
    from automl.userdata import write_output

    data = build(run, slice_by=slice_by)
    html_path = Path(out) if out else run.path / "report.html"
    html = _environment(True).get_template("report.html.j2").render(**data)
    markdown = _environment(False).get_template("report.md.j2").render(**data)
    write_output(html_path, html)  # atomic: a crash leaves the old report or the new, never half of one
    write_output(html_path.with_suffix(".md"), markdown)
    return html_path
