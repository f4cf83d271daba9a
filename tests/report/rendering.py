"""Shared by the per-task report tests: fit a small run through the CLI, write its report, cut out a section."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def fit_and_report(cli: Any, base: Path, data: str | Path, *fit_args: str) -> tuple[str, str, Path]:
    """``automl fit DATA ARGS --run-dir RUN`` then ``automl report RUN``; returns the HTML, the Markdown and RUN."""
    fit = cli("fit", data, "--time-budget", "60", "--run-dir", "RUN", "--quiet", *fit_args, cwd=base)  # args win
    assert fit.returncode == 0, fit
    done = cli("report", "RUN", "--out", base / "out" / "report.html", cwd=base)
    assert done.returncode == 0, done
    return (base / "out" / "report.html").read_text(), (base / "out" / "report.md").read_text(), base / "RUN"


def html_section(page: str, title: str) -> str:
    """The HTML of the plugin section titled ``title`` (it must be there)."""
    assert f"<h2>{title}</h2>" in page, f"no section {title!r}"
    return page.split(f"<h2>{title}</h2>", 1)[1].split("</section>", 1)[0]
