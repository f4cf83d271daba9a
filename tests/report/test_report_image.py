"""The image task's report section (issue 8): example images per class and the misclassified ones.

Thumbnails are PNG ``data:`` URIs, so the page makes no request; one class folder's name holds markup,
which must show as text. A class of circles that copies the ``circle`` class makes mistakes certain.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the image plugin needs the 'image' extra (torch)")
pytest.importorskip("PIL", reason="the image plugin needs the 'image' extra (pillow)")

from automl_plugins.image.sample import write_shapes  # noqa: E402

ODD = "<i>odd"  # a class folder name with markup
TITLE = "Examples"


@dataclass
class ImageReport:
    base: Path
    html: Path
    page: str
    markdown: str


@pytest.fixture(scope="module")
def report(tmp_path_factory, cli) -> ImageReport:  # noqa: ANN001
    base = tmp_path_factory.mktemp("report_image")
    data = write_shapes(base / "shapes", per_class=12, seed=1, shapes=("circle", "square"))
    lookalikes = write_shapes(base / "more", per_class=12, seed=2, shapes=("circle",))
    shutil.move(lookalikes / "circle", data / ODD)
    fit = cli("fit", data, "--task", "image", "--models", "linear", "--trials", "2", "--time-budget", "60",
              "--run-dir", "RUN", "--quiet", cwd=base)
    assert fit.returncode == 0, fit
    out = base / "out" / "report.html"
    done = cli("report", "RUN", "--out", out, cwd=base)
    assert done.returncode == 0, done
    return ImageReport(base, out, out.read_text(), (base / "out" / "report.md").read_text())


def _section(page: str) -> str:
    assert f"<h2>{TITLE}</h2>" in page
    return page.split(f"<h2>{TITLE}</h2>", 1)[1].split("</section>", 1)[0]


def test_examples_per_class_and_misclassified_images_are_embedded(report: ImageReport) -> None:
    section = _section(report.page)
    assert '<figure class="chart" data-chart="class_examples">' in section
    assert '<figure class="chart" data-chart="misclassified">' in section
    sources = re.findall(r'<img[^>]* src="([^"]*)"', section)
    assert len(sources) >= 6 and all(s.startswith("data:image/png;base64,") for s in sources), sources[:3]
    assert re.search(r"true [^<]+, predicted [^<]+ \(p=0\.\d\d\)", section)
    assert "Inference speed" in report.page, "the existing speed section stays"
    assert f"## {TITLE}" in report.markdown and "**Misclassified images**" in report.markdown


def test_class_names_are_escaped(report: ImageReport) -> None:
    section = _section(report.page)
    assert "&lt;i&gt;odd" in section
    assert ODD not in section
    part = report.markdown.split(f"## {TITLE}", 1)[1].split("\n## ", 1)[0]
    assert "\\<i>odd" in part and not re.search(r"(?<!\\)<i>odd", part), "the tag shows as text: backslashed"


def test_thumbnails_load_in_a_browser_without_network(report: ImageReport, open_report) -> None:  # noqa: ANN001
    opened = open_report(report.html, report.base / "screenshot.png")
    assert opened.requests == [] and opened.errors == [] and opened.dialogs == []
    images = opened.js("""() => [...document.querySelectorAll(
        'figure.chart[data-chart="class_examples"] img, figure.chart[data-chart="misclassified"] img')]
        .map(img => [img.complete, img.naturalWidth, img.getBoundingClientRect().width])""")
    assert len(images) >= 6 and all(done and natural > 0 and shown >= 40 for done, natural, shown in images), images
    for name in ("class_examples", "misclassified"):
        box = opened.page.locator(f'figure.chart[data-chart="{name}"]').bounding_box()
        assert box is not None and box["width"] >= 100 and box["height"] >= 80, (name, box)
    assert "<i>odd" in opened.inner_text(), "the markup in the class name shows as text"
