"""Small generated image folders for the image plugin's tests (skipped when the image extra is missing)."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("torch", reason="the image plugin needs the 'image' extra (torch)")
pytest.importorskip("PIL", reason="the image plugin needs the 'image' extra (pillow)")

from automl_plugins.image.sample import add_bad_files, write_shapes  # noqa: E402


@pytest.fixture
def shapes(tmp_path: Path) -> Path:
    """Three classes of coloured shapes (RGB, grey, palette, RGBA; six formats; mixed sizes)."""
    return write_shapes(tmp_path / "shapes", per_class=20, seed=1)


@pytest.fixture
def shapes_with_bad_files(shapes: Path) -> Path:
    """The shapes plus a corrupt PNG and a text file in one class folder."""
    add_bad_files(shapes, "circle")
    return shapes
