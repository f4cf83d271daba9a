"""Loading image folders and CSVs: formats, modes, bad files, path safety, detection, predictions."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from automl.errors import MissingExtra, UserError
from automl_plugins.image import pixels, task
from automl_plugins.image.sample import draw_shape
from automl_plugins.tabular.task import detect as tabular_detect


def test_folder_loads_with_bad_files_skipped_and_counted(shapes_with_bad_files: Path) -> None:
    dataset = task.load(shapes_with_bad_files, {})
    assert dataset.kind == "multiclass"
    assert dataset.classes == ["circle", "square", "triangle"]
    assert dataset.n_rows == 60
    assert dataset.info["bad_files"] == 2
    assert dataset.info["channels"] == 3
    assert len(dataset.info["sizes"]) > 1, "the sample mixes image sizes"
    assert any("skipped 2 of 62 files" in note and "notes.txt" in note for note in dataset.notes)
    assert all(Path(p).is_absolute() for p in dataset.X)
    train, valid = task.split(dataset, 0)[0]
    assert len(valid) == 12 and not set(train) & set(valid)
    assert sorted(np.bincount(dataset.y[valid]).tolist()) == [4, 4, 4]


def test_too_many_bad_files_stop_the_run(shapes: Path) -> None:
    for index in range(4):
        (shapes / "square" / f"broken{index}.jpg").write_bytes(b"not a jpeg at all")
    with pytest.raises(UserError, match=r"4 of 64 files .* are not readable images \(more than 5%\)"):
        task.load(shapes, {})


def test_a_class_left_without_images_stops_the_run(shapes: Path) -> None:
    (shapes / "hexagon").mkdir()
    (shapes / "hexagon" / "only.png").write_bytes(b"\x89PNG\r\n\x1a\nbroken")
    with pytest.raises(UserError, match="class 'hexagon' has no readable image"):
        task.load(shapes, {})


def test_one_class_is_not_a_classification(tmp_path: Path) -> None:
    (tmp_path / "only").mkdir()
    draw_shape("circle", 20, 20, np.random.default_rng(0)).save(tmp_path / "only" / "a.png")
    with pytest.raises(UserError, match="at least two classes"):
        task.load(tmp_path, {})


def test_grey_images_give_one_channel(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    for label in ("a", "b"):
        (tmp_path / label).mkdir()
        for index in range(3):
            draw_shape("circle", 24, 30, rng).convert("L").save(tmp_path / label / f"{index}.png")
    assert task.load(tmp_path, {}).info["channels"] == 1


@pytest.mark.parametrize("mode", ["RGB", "L", "RGBA", "LA", "P", "CMYK", "I;16", "F", "1"])
def test_every_mode_reads_as_fixed_size_pixels(tmp_path: Path, mode: str) -> None:
    image = draw_shape("square", 30, 22, np.random.default_rng(0))
    suffix = {"CMYK": "jpg", "I;16": "tiff", "F": "tiff", "LA": "png"}.get(mode, "png")
    path = tmp_path / f"image.{suffix}"
    image.convert(mode).save(path)
    assert pixels.probe(path).ok
    assert pixels.read_pixels(str(path), 16, 3).shape == (3, 16, 16)
    grey = pixels.read_pixels(str(path), 12, 1)
    assert grey.shape == (1, 12, 12) and grey.dtype == np.uint8


def test_animated_gif_uses_its_first_frame(tmp_path: Path) -> None:
    frames = [Image.new("L", (10, 10), 0), Image.new("L", (10, 10), 255)]
    frames[0].save(tmp_path / "a.gif", save_all=True, append_images=frames[1:])
    assert pixels.read_pixels(str(tmp_path / "a.gif"), 10, 1).max() == 0


def test_transparent_pixels_become_white(tmp_path: Path) -> None:
    Image.new("RGBA", (8, 8), (0, 0, 0, 0)).save(tmp_path / "clear.png")
    assert pixels.read_pixels(str(tmp_path / "clear.png"), 8, 3).min() == 255


def test_cache_respects_its_limit(shapes: Path) -> None:
    paths = [str(p) for p in sorted((shapes / "circle").iterdir())]
    cache = pixels.PixelCache(limit_bytes=3 * 16 * 16 * 5)
    batch = cache.batch(paths, 16, 3)
    assert batch.shape == (len(paths), 3, 16, 16)
    assert cache.used <= cache.limit and sum(len(g) for g in cache.groups.values()) == 5
    cache.batch(paths[:5], 8, 1)
    assert (8, 1) in cache.groups and cache.used <= cache.limit


def _csv(folder: Path, shapes: Path, rows: list[tuple[str, str]]) -> Path:
    path = folder / "labels.csv"
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(path, index=False)
    return path


def test_csv_of_paths_and_labels_loads_and_outbids_the_tabular_task(shapes: Path) -> None:
    rows = [(p.relative_to(shapes.parent).as_posix(), p.parent.name) for p in sorted(shapes.rglob("*.png"))]
    path = _csv(shapes.parent, shapes, rows)
    assert task.detect(path, {}) > tabular_detect(path, {})
    dataset = task.load(path, {})
    assert dataset.n_rows == len(rows) and dataset.schema["path_column"] == "file"
    assert dataset.schema["label_column"] == "label"


def test_csv_path_leaving_its_folder_is_rejected(shapes: Path) -> None:
    inner = shapes / "square"
    rows = [("000.png", "square"), ("../circle/000.png", "circle")]
    path = _csv(inner, shapes, rows)
    with pytest.raises(UserError, match=r"'../circle/000.png' in .*row 3 leaves the CSV's folder"):
        task.load(path, {"target": "label"})


def test_csv_absolute_path_outside_is_rejected(shapes: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.png"
    draw_shape("circle", 20, 20, np.random.default_rng(0)).save(outside)
    path = _csv(shapes / "square", shapes, [("000.png", "square"), (str(outside), "circle")])
    with pytest.raises(UserError, match="leaves the CSV's folder"):
        task.load(path, {"target": "label"})


def test_detect(shapes: Path, tmp_path: Path, churn_csv: Path) -> None:
    assert task.detect(shapes, {}) == pytest.approx(0.9)
    assert task.detect(churn_csv, {}) == 0.0
    (tmp_path / "empty").mkdir()
    assert task.detect(tmp_path / "empty", {}) == 0.0
    assert task.detect(shapes / "circle", {}) == 0.0, "a flat folder of images has no classes"


def test_predictions_have_path_prediction_and_probabilities(shapes_with_bad_files: Path) -> None:
    schema = task.load(shapes_with_bad_files, {}).schema
    batch = task.prepare(shapes_with_bad_files / "circle", schema)
    assert len(batch.X) == 20 and len(batch.extra["names"]) == 22
    raw = np.tile([0.7, 0.2, 0.1], (len(batch.X), 1))
    frame = task.format_predictions(raw, batch, schema)
    assert list(frame.columns) == ["path", "prediction", "proba_circle", "proba_square", "proba_triangle"]
    unreadable = frame.set_index("path").loc[["corrupt.png", "notes.txt"]]
    assert unreadable["prediction"].isna().all() and unreadable["proba_circle"].isna().all()
    assert (frame.dropna()["prediction"] == "circle").all()


def test_missing_torch_names_the_extra(shapes: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(MissingExtra, match=r"the image task needs the 'torch' package.*automl\[image\]"):
        task.load(shapes, {})
