"""The image task's report sections: example images per class, the misclassified ones, and speed.

Examples and mistakes come from the final model's out-of-fold predictions
(``best/validation.npz``): its row positions are positions in the run's list of
image files, which is read again from the data folder (or CSV) without decoding
every image when no file was skipped at fit time. Thumbnails are small PNGs
embedded as ``data:`` URIs, so the report stays one file with no request.

The core measures every trial's prediction time on its validation images
(``predict_ms_per_1k``, which for this task includes reading the pixels from
the cache); the speed section turns it into the throughput a product team plans with.
"""

from __future__ import annotations

import base64
import html
import io
import logging
from pathlib import Path
from typing import Any

import numpy as np

from automl.kit import html_table, markdown_table, note_section

log = logging.getLogger(__name__)

TOP = 10
PER_CLASS = 4
MAX_CLASSES = 20
MAX_WRONG = 12
THUMB = 96  # stored pixels (longest side); shown at DISPLAY px
DISPLAY = 88
EXAMPLES_TITLE = "Examples"


def images_per_second(ms_per_1k: float | None) -> float | None:
    if not ms_per_1k:
        return None
    return 1e6 / float(ms_per_1k)


def throughput_rows(board: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for row in board:
        speed = images_per_second(row.get("predict_ms_per_1k"))
        if row.get("score") is None or speed is None:
            continue
        rows.append({"rank": row["rank"], "trial": row["trial"], "model": row["model"], "score": row["score"],
                     "images_per_second": speed, "final": bool(row.get("selected"))})
    return rows[:TOP]


def section(run: Any) -> list[dict[str, str]] | None:
    if run.record.task != "image":
        return None
    sections = []
    try:
        examples = examples_section(run)
    except Exception as exc:  # noqa: BLE001 - a section is never worth losing the report
        log.warning("the image examples section was left out: %s", exc)
        examples = note_section(EXAMPLES_TITLE, f"No example images: {exc}")
    if examples is not None:
        sections.append(examples)
    speed = speed_section(run)
    if speed is not None:
        sections.append(speed)
    return sections or None


def speed_section(run: Any) -> dict[str, str] | None:
    rows = throughput_rows(run.leaderboard_rows())
    if not rows:
        return None
    header = ["#", "trial", "model", "score", "images/s", "final"]
    cells = [[str(r["rank"]), "" if r["trial"] is None else str(r["trial"]), r["model"], f"{r['score']:.4g}",
              f"{r['images_per_second']:,.0f}", "*" if r["final"] else ""] for r in rows]
    intro = ("Images classified per second on this machine, measured on the validation images "
             "(reading cached pixels included; the first read from disk is slower).")
    markdown = "\n".join([intro, "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header),
                          *["| " + " | ".join(c) + " |" for c in cells]])
    return {"title": "Inference speed", "html": f"<p>{html.escape(intro)}</p>{html_table(header, cells)}",
            "markdown": markdown}


# -- example images ----------------------------------------------------------------------------------
def image_files(run: Any) -> tuple[list[str], list[str]] | str:
    """The absolute paths and display names of the run's images, in the order of its Dataset.

    Listing the folder (or CSV) is cheap; only when fit skipped unreadable files (the count differs)
    are the files probed again, as loading does, to drop the same ones.
    """
    from automl.kit import saved_schema
    from automl_plugins.image import pixels, sources

    record = run.record
    data = record.data
    path = data.path
    if not path or not Path(path).exists():
        return f"the training images {path or '(not recorded)'} are gone"
    schema = saved_schema(run)
    options = {**record.task_options, "target": record.target}
    if schema.get("path_column"):
        options["path_column"] = schema["path_column"]
    if schema.get("label_column"):
        options["target"] = schema["label_column"]
    listing = sources.training_listing(path, options)
    files, names = [str(p) for p in listing.files], list(listing.names)
    if data.rows is not None and len(files) != int(data.rows):
        ok = [p.ok for p in pixels.probe_all(files)]
        files = [f for f, good in zip(files, ok, strict=True) if good]
        names = [n for n, good in zip(names, ok, strict=True) if good]
    if data.rows is not None and len(files) != int(data.rows):
        return f"the images in {path} changed since the run ({len(files)} now, {data.rows} then)"
    return files, names


def thumbnail_uri(path: str, size: int = THUMB) -> str | None:
    """A PNG thumbnail of the image (its first frame, EXIF orientation applied) as a ``data:`` URI."""
    from automl_plugins.image.pixels import pil

    Image = pil()
    from PIL import ImageOps

    try:
        with Image.open(path) as image:
            image.seek(0)
            image.draft("RGB", (size, size))
            image = ImageOps.exif_transpose(image)
            if image.mode not in ("RGB", "L"):
                rgba = image.convert("RGBA")
                image = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba)
            image = image.convert("RGB") if image.mode != "L" else image
            image.thumbnail((size, size), Image.Resampling.LANCZOS)
            buffer = io.BytesIO()
            image.save(buffer, format="PNG", optimize=True)
    except Exception as exc:  # noqa: BLE001 - a file deleted or broken since the run
        log.info("no thumbnail for %s: %s", path, exc)
        return None
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _img(uri: str | None, name: str) -> str:
    style = (f"width:{DISPLAY}px;height:{DISPLAY}px;object-fit:contain;display:inline-block;"
             "image-rendering:pixelated;border:1px solid #e2e8f0;background:#fff")
    if uri is None:
        return (f'<span style="{style};font-size:.7em;overflow:hidden" title="{html.escape(name, quote=True)}">'
                "missing</span>")
    return (f'<img src="{uri}" alt="{html.escape(name, quote=True)}" title="{html.escape(name, quote=True)}" '
            f'width="{DISPLAY}" height="{DISPLAY}" loading="eager" style="{style}">')


def example_rows(y: np.ndarray, n_classes: int, per_class: int = PER_CLASS,
                 max_classes: int = MAX_CLASSES) -> list[tuple[int, list[int]]]:
    """For each class (the ``max_classes`` most frequent, in code order): its first ``per_class`` validation rows.

    Thumbnails are the heavy part of the report, so with many classes only the
    largest get a row; the caption says how many were left out.
    """
    from automl.kit import largest_classes

    shown = range(n_classes) if n_classes <= max_classes else sorted(largest_classes(y, n_classes, max_classes))
    return [(k, [int(i) for i in np.flatnonzero(y == k)[:per_class]]) for k in shown]


def examples_section(run: Any) -> dict[str, str] | None:
    """The "Examples" section: validation images per class and the misclassified ones."""
    from automl.kit import class_predictions, figure_html, mistakes_heading

    if not (run.dir.best / "model.json").is_file():
        return None
    validation = class_predictions(run)
    if validation is None:
        return note_section(EXAMPLES_TITLE, "The final model's validation predictions were not saved, so there are "
                                            "no examples to show.")
    found = image_files(run)
    if isinstance(found, str):
        return note_section(EXAMPLES_TITLE, f"No example images: {found}.")
    files, names = found
    if not validation.fits(len(files)):
        return note_section(EXAMPLES_TITLE, "No example images: the data has fewer images than the run's predictions.")
    classes, proba, index, y = validation.classes, validation.proba, validation.index, validation.y
    predicted = validation.predicted
    parts_html, parts_md = [], []

    rows_html, md_rows = [], []
    for k, rows in example_rows(y, len(classes)):
        thumbs = "".join(_img(thumbnail_uri(files[index[i]]), names[index[i]]) for i in rows)
        label = html.escape(classes[k])
        rows_html.append(
            '<div style="display:flex;align-items:center;gap:6px;margin:3px 0">'
            f'<div style="width:10em;flex:none;font-weight:600;overflow-wrap:anywhere">{label}</div>'
            f'<div style="display:flex;gap:4px;flex-wrap:wrap">{thumbs or "<em>no validation image</em>"}</div></div>')
        md_rows.append([classes[k], ", ".join(names[index[i]] for i in rows) or "–"])
    shown = f"{PER_CLASS} validation images" if len(classes) <= MAX_CLASSES else \
        f"{PER_CLASS} validation images of the {MAX_CLASSES} most frequent of {len(classes):,} classes"
    caption = f"Up to {shown} per class (one row per class), as the final model saw them out of fold."
    parts_html.append(figure_html("class_examples", f'<div style="min-height:80px">{"".join(rows_html)}</div>',
                                  caption))
    parts_md += [caption, "", markdown_table(["class", "example files"], md_rows)]

    wrong = validation.mistakes(MAX_WRONG)
    heading, heading_md = mistakes_heading("images", validation.n_wrong, len(y), len(wrong))
    parts_html.append(heading)
    parts_md += heading_md
    if wrong:
        cells, md_rows = [], []
        for i in wrong:
            text = f"true {classes[y[i]]}, predicted {classes[predicted[i]]} (p={proba[i, predicted[i]]:.2f})"
            name = names[index[i]]
            cells.append('<div style="display:inline-block;width:128px;vertical-align:top;margin:4px">'
                         f"{_img(thumbnail_uri(files[index[i]]), name)}"
                         f'<div style="font-size:.75em;overflow-wrap:anywhere">{html.escape(text)}</div>'
                         f'<div style="font-size:.7em;color:#718096;overflow-wrap:anywhere">{html.escape(name)}</div>'
                         "</div>")
            md_rows.append([name, classes[y[i]], classes[predicted[i]], f"{proba[i, predicted[i]]:.2f}"])
        parts_html.append(figure_html("misclassified", f'<div style="min-height:80px">{"".join(cells)}</div>',
                                      "Validation images the final model got wrong, the most confident first."))
        parts_md += ["", markdown_table(["file", "actual", "predicted", "p"], md_rows)]
    return {"title": EXAMPLES_TITLE, "html": "".join(parts_html), "markdown": "\n".join(parts_md)}

