"""The image task's report sections: example images per class, the misclassified ones, and speed.

Examples and mistakes come from the final model's out-of-fold predictions
(``best/validation.npz``): its row positions are positions in the run's list of
image files, which is read again from the data folder (or CSV) without decoding
every image when no file was skipped at fit time. Thumbnails are small PNGs
embedded as ``data:`` URIs, so the report stays one file with no request.

The sections are data (``automl.kit.Section``: tables, image grids of
thumbnails): the core renders their HTML and Markdown and escapes every class
and file name. The task declares them (``TaskSpec.report``), so they are asked
for only for runs of the image task.

The core measures every trial's prediction time on its validation images
(``predict_ms_per_1k``, which for this task includes reading the pixels from
the cache); the speed section turns it into the throughput a product team plans with.
"""

from __future__ import annotations

import base64
import io
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from automl.kit import ImageGrid, ImageGroup, Lines, Paragraph, Section, Table, Thumbnail, note_section

if TYPE_CHECKING:
    from automl.kit import ClassPredictions, Heading

log = logging.getLogger(__name__)

TOP = 10
PER_CLASS = 4
MAX_CLASSES = 20
MAX_WRONG = 12
THUMB = 96  # stored pixels (longest side); the core shows a thumbnail at 88 px, so it stays sharp
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


def section(run: Any) -> list[Section] | None:
    """The image task's sections (``TaskSpec.report``: asked for only for image runs): examples, then speed."""
    try:
        examples = examples_section(run)
    except Exception as exc:  # noqa: BLE001 - a section is never worth losing the report (or the speed one)
        log.warning("the image examples section was left out: %s", exc)
        examples = note_section(EXAMPLES_TITLE, f"No example images: {exc}")
    sections = [s for s in (examples, speed_section(run)) if s is not None]
    return sections or None


def speed_section(run: Any) -> Section | None:
    rows = throughput_rows(run.leaderboard_rows())
    if not rows:
        return None
    header = ["#", "trial", "model", "score", "images/s", "final"]
    cells = [[str(r["rank"]), "" if r["trial"] is None else str(r["trial"]), r["model"], f"{r['score']:.4g}",
              f"{r['images_per_second']:,.0f}", "*" if r["final"] else ""] for r in rows]
    intro = ("Images classified per second on this machine, measured on the validation images "
             "(reading cached pixels included; the first read from disk is slower).")
    return Section("Inference speed", (Paragraph(intro), Table(header, cells, numeric=(0, 1, 3, 4))))


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


def example_rows(y: np.ndarray, n_classes: int, per_class: int = PER_CLASS,
                 max_classes: int = MAX_CLASSES) -> list[tuple[int, list[int]]]:
    """For each class (the ``max_classes`` most frequent, in code order): its first ``per_class`` validation rows.

    Thumbnails are the heavy part of the report, so with many classes only the
    largest get a row; the caption says how many were left out.
    """
    from automl.kit import largest_classes

    shown = range(n_classes) if n_classes <= max_classes else sorted(largest_classes(y, n_classes, max_classes))
    return [(k, [int(i) for i in np.flatnonzero(y == k)[:per_class]]) for k in shown]


def examples_section(run: Any) -> Section | None:
    """The "Examples" section: validation images per class and the misclassified ones."""
    from automl.kit import class_predictions

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
    return Section(EXAMPLES_TITLE, (class_examples(validation, files, names),
                                    *misclassified(validation, files, names)))


def class_examples(validation: ClassPredictions, files: list[str], names: list[str]) -> ImageGrid:
    """A row of validation images per class (the most frequent classes when there are many)."""
    classes, index = validation.classes, validation.index
    groups, text_rows = [], []
    for k, rows in example_rows(validation.y, len(classes)):
        images = [Thumbnail(thumbnail_uri(files[index[i]]), names[index[i]]) for i in rows]
        groups.append(ImageGroup(classes[k], images))
        text_rows.append([classes[k], Lines([image.name for image in images])])
    shown = f"{PER_CLASS} validation images" if len(classes) <= MAX_CLASSES else \
        f"{PER_CLASS} validation images of the {MAX_CLASSES} most frequent of {len(classes):,} classes"
    caption = f"Up to {shown} per class (one row per class), as the final model saw them out of fold."
    return ImageGrid("class_examples", caption, groups, Table(["class", "example files"], text_rows))


def misclassified(validation: ClassPredictions, files: list[str],
                  names: list[str]) -> list[Heading | Paragraph | ImageGrid]:
    """The "Misclassified images" heading, its count, and the most confident mistakes, each with its caption."""
    from automl.kit import mistakes_heading

    classes, proba, index, y, predicted = (validation.classes, validation.proba, validation.index, validation.y,
                                           validation.predicted)
    wrong = validation.mistakes(MAX_WRONG)
    heading, intro = mistakes_heading("images", validation.n_wrong, len(y), len(wrong))
    blocks: list[Heading | Paragraph | ImageGrid] = [heading, intro]
    if not wrong:
        return blocks
    images, text_rows = [], []
    for i in wrong:
        actual, guess, p = classes[y[i]], classes[predicted[i]], f"{proba[i, predicted[i]]:.2f}"
        name = names[index[i]]
        images.append(Thumbnail(thumbnail_uri(files[index[i]]), name,
                                (f"true {actual}, predicted {guess} (p={p})", name)))
        text_rows.append([name, actual, guess, p])
    caption = "Validation images the final model got wrong, the most confident first."
    text = Table(["file", "actual", "predicted", "p"], text_rows, numeric=(3,))
    blocks.append(ImageGrid("misclassified", caption, [ImageGroup(None, images)], text))
    return blocks
