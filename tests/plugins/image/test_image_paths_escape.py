"""A CSV of image paths may only point inside its own folder: ``../``, absolute paths and links out are refused.

The error is one UserError line naming the path and the CSV row (header = row 1),
for training (``load``) and for prediction (``prepare``) alike.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from automl.errors import UserError
from automl_plugins.image import task
from automl_plugins.image.sample import write_shapes

SCHEMA = {"kind": "multiclass", "classes": ["circle", "square", "triangle"], "channels": 3, "side": 16,
          "source": "table", "path_column": "file", "label_column": "label"}


@pytest.fixture(scope="module")
def shapes(tmp_path_factory) -> Path:
    return write_shapes(tmp_path_factory.mktemp("escape") / "shapes", per_class=4, seed=0)


@pytest.fixture
def outside(tmp_path: Path, shapes: Path) -> Path:
    """A real image outside the CSV's folder (a copy of one of the shapes)."""
    target = tmp_path / "secret" / "private.png"
    target.parent.mkdir()
    target.write_bytes(next(shapes.rglob("*.png")).read_bytes())
    return target


def _csv(folder: Path, rows: list[tuple[str, str | None]]) -> Path:
    path = folder / "labels.csv"
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(path, index=False)
    return path


def _inside_rows(shapes: Path) -> list[tuple[str, str]]:
    return [(p.relative_to(shapes).as_posix(), p.parent.name) for p in sorted(shapes.rglob("*.png"))]


def _copy(shapes: Path, folder: Path) -> Path:
    for p in sorted(shapes.rglob("*.png")):
        (folder / p.parent.name).mkdir(parents=True, exist_ok=True)
        (folder / p.parent.name / p.name).write_bytes(p.read_bytes())
    return folder


def _refused(call, value: str, row: int) -> None:
    with pytest.raises(UserError) as caught:
        call()
    message = str(caught.value)
    assert "\n" not in message
    assert f"'{value}'" in message and f"row {row} " in message and "leaves the CSV's folder" in message, message


@pytest.mark.parametrize("kind", ["dotdot", "absolute", "file_link", "folder_link", "dotdot_inside_out"])
def test_training_csv_paths_that_leave_the_folder(shapes: Path, outside: Path, tmp_path: Path, kind: str):
    folder = _copy(shapes, tmp_path / "table")
    rows = _inside_rows(folder)
    if kind == "dotdot":
        bad = "../secret/private.png"
    elif kind == "absolute":
        bad = str(outside)
    elif kind == "file_link":
        (folder / "circle" / "link.png").symlink_to(outside)
        bad = "circle/link.png"
    elif kind == "folder_link":
        (folder / "linked").symlink_to(outside.parent, target_is_directory=True)
        bad = "linked/private.png"
    else:
        bad = "circle/../../secret/private.png"
    rows.insert(3, (bad, "circle"))
    rows.insert(1, ("circle/000.png", None))  # a row without a label, dropped: the row numbers still count it
    path = _csv(folder, rows)
    _refused(lambda: task.load(path, {"target": "label"}), bad, row=6)
    _refused(lambda: task.prepare(path, SCHEMA), bad, row=6)


def test_a_link_inside_the_folder_is_fine(shapes: Path, tmp_path: Path):
    rows = _inside_rows(shapes)
    first = shapes / rows[0][0]
    (shapes / "circle" / "alias.png").symlink_to(first)
    try:
        path = _csv(shapes, [*rows, ("circle/alias.png", "circle")])
        dataset = task.load(path, {"target": "label"})
        assert dataset.n_rows == len(rows) + 1
    finally:
        (shapes / "circle" / "alias.png").unlink()
        (shapes / "labels.csv").unlink()


def test_a_csv_whose_every_path_leaves_names_the_first_one(outside: Path, tmp_path: Path):
    folder = tmp_path / "table"
    folder.mkdir()
    path = _csv(folder, [(str(outside), "a"), ("../secret/private.png", "b")] * 3)
    _refused(lambda: task.load(path, {"target": "label", "path_column": None}), str(outside), row=2)


def test_prediction_csv_without_the_path_column_names_it(shapes: Path, tmp_path: Path):
    path = tmp_path / "new.csv"
    pd.DataFrame({"picture": ["a.png", "b.png"]}).to_csv(path, index=False)
    with pytest.raises(UserError, match="'file' the model was trained with") as caught:
        task.prepare(path, SCHEMA)
    assert "picture" in str(caught.value)


def test_through_the_cli(cli, user_error, outside: Path, shapes: Path, tmp_path: Path):
    folder = _copy(shapes, tmp_path / "table")
    rows = _inside_rows(folder)
    path = folder / "labels.csv"
    rows.append((str(outside), "circle"))
    pd.DataFrame(rows, columns=["file", "label"]).to_csv(path, index=False)
    result = cli("fit", path, "--task", "image", "--target", "label", "--run-dir", "run", "--quiet", cwd=tmp_path)
    user_error(result, f"'{outside}'", f"row {len(rows) + 1} ", "leaves the CSV's folder")
    assert not (tmp_path / "run").exists()
