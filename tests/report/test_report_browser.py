"""The report of a real binary run, rendered in headless Chromium (issue 8).

Key elements visible (the summary sentence, the leaderboard, every chart), no console errors, no network
request, a non-blank screenshot. Charts follow the contract
``<figure class="chart" data-chart="NAME">`` with an inline ``<svg>`` (or an ``<img>``) and a ``<figcaption>``.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_classification

TARGET = "churned"
BINARY_TABULAR_CHARTS = {
    "optimization_history",
    "family_comparison",
    "confusion_matrix",
    "roc_curve",
    "pr_curve",
    "calibration",
    "permutation_importance",
}
MIN_CHART_WIDTH, MIN_CHART_HEIGHT = 100, 80
FAST_MODELS = "linear,lightgbm,hist_gb"  # three families, no slow forests: the fit takes ~10 s


def churn_like_csv(path: Path, rows: int = 400) -> Path:
    """Five numeric columns, one categorical, target ``churned`` in {yes, no}."""
    features, label = make_classification(
        n_samples=rows, n_features=5, n_informative=3, n_redundant=1, random_state=0
    )
    frame = pd.DataFrame(features, columns=["tenure", "monthly_spend", "logins", "tickets", "discount"])
    frame["plan"] = np.random.default_rng(0).choice(["basic", "pro", "team"], size=rows)
    frame[TARGET] = np.where(label == 1, "yes", "no")
    frame.to_csv(path, index=False)
    return path


@dataclass
class RenderedRun:
    run_dir: Path
    html: Path
    completed_trials: int
    opened: object  # conftest.BrowserPage


@pytest.fixture(scope="module")
def rendered(tmp_path_factory, cli, open_report) -> RenderedRun:
    """Fit 8 trials of three fast families, write the report with ``automl report``, open it in Chromium once."""
    base = tmp_path_factory.mktemp("report_browser")
    data = churn_like_csv(base / "data.csv")
    fit = cli("fit", data, "--target", TARGET, "--trials", "8", "--time-budget", "60", "--models", FAST_MODELS,
              "--run-dir", "RUN", "--quiet", cwd=base)
    assert fit.returncode == 0, fit
    report = cli("report", "RUN", "--out", "out/report.html", cwd=base)
    assert report.returncode == 0, report
    html = base / "out" / "report.html"
    assert html.is_file(), report
    with (base / "RUN" / "leaderboard.csv").open(newline="") as handle:
        completed = sum(1 for row in csv.DictReader(handle) if row["status"] == "COMPLETE" and row["trial"] != "")
    assert completed >= 1, "no trial completed"
    opened = open_report(html, base / "out" / "report.png")
    return RenderedRun(run_dir=base / "RUN", html=html, completed_trials=completed, opened=opened)


def test_summary_sentence_is_visible(rendered: RenderedRun) -> None:
    summary = rendered.opened.page.locator("#summary")
    assert summary.count() == 1, "no #summary element"
    assert summary.is_visible(), "#summary is not visible"
    text = " ".join(summary.inner_text().split())
    assert re.search(r"[A-Z][^.!?]{10,}[.!?]", text), f"#summary holds no sentence: {text!r}"
    assert TARGET in text, f"#summary does not name the target {TARGET!r}: {text!r}"


def test_leaderboard_is_visible_with_every_completed_trial(rendered: RenderedRun) -> None:
    board = rendered.opened.page.locator("#leaderboard")
    assert board.count() == 1, "no #leaderboard element"
    assert board.is_visible(), "#leaderboard is not visible"
    body_rows = board.locator("tr:has(td)").count()
    assert body_rows >= rendered.completed_trials, (
        f"#leaderboard shows {body_rows} rows, the run completed {rendered.completed_trials} trials"
    )


def test_every_chart_is_visible_and_drawn(rendered: RenderedRun) -> None:
    charts = rendered.opened.page.locator("figure.chart")
    assert charts.count() >= 1, "the report has no <figure class=\"chart\">"
    problems = []
    for index in range(charts.count()):
        chart = charts.nth(index)
        name = chart.get_attribute("data-chart") or f"figure.chart #{index}"
        if not chart.is_visible():
            problems.append(f"{name}: not visible")
            continue
        box = chart.bounding_box()
        if box is None or box["width"] <= MIN_CHART_WIDTH or box["height"] <= MIN_CHART_HEIGHT:
            problems.append(f"{name}: bounding box {box} is not larger than {MIN_CHART_WIDTH}x{MIN_CHART_HEIGHT}")
        if chart.locator("svg, img").count() == 0:
            problems.append(f"{name}: contains no <svg> or <img>")
    assert not problems, "charts:\n" + "\n".join(problems)


def test_binary_tabular_run_has_every_chart(rendered: RenderedRun) -> None:
    names = set(rendered.opened.page.eval_on_selector_all(
        "figure.chart", "figures => figures.map(f => f.getAttribute('data-chart'))"))
    missing = BINARY_TABULAR_CHARTS - names
    assert not missing, f"charts missing from the report: {sorted(missing)} (found {sorted(n for n in names if n)})"


def test_no_console_error_and_no_page_error(rendered: RenderedRun) -> None:
    assert rendered.opened.errors == []


def test_no_network_request(rendered: RenderedRun) -> None:
    assert rendered.opened.requests == [], "the report must be self-contained (inline SVG, data: URLs only)"


def test_screenshot_is_not_blank(rendered: RenderedRun) -> None:
    image_module = pytest.importorskip("PIL.Image")
    shot = rendered.opened.screenshot
    assert shot.is_file() and shot.stat().st_size > 0, f"no screenshot at {shot}"
    with image_module.open(shot) as image:
        width, height = image.size
        colours = image.convert("RGB").getcolors(maxcolors=1 << 16)  # None: more colours than that
    assert width >= 1000 and height >= 400, f"screenshot is only {width}x{height}"
    assert colours is None or len(colours) > 8, f"screenshot looks blank: {len(colours)} distinct colours"


def test_prints_to_pdf_with_every_chart(rendered: RenderedRun, tmp_path: Path) -> None:
    """Printed to PDF through Chromium's print path, the report fits a sensible number of A4 pages."""
    page = rendered.opened.page
    page.emulate_media(media="print")
    pdf = tmp_path / "report.pdf"
    page.pdf(path=str(pdf), format="A4", print_background=True)
    page.emulate_media(media="screen")
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF") and len(data) > 50_000
    pages = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
    assert 2 <= pages <= 20, pages
