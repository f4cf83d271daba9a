"""Small generated image folders: coloured shapes, for the conformance kit, tests and a quick demo.

The images deliberately mix what users bring: RGB and grey, palette and
transparent PNGs, JPEG, BMP, GIF, WebP and TIFF, and sizes from 20 to 44
pixels that are not square. ``add_bad_files`` adds a corrupt image and a text
file, which loading must skip and count.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from automl_plugins.image.pixels import pil

SHAPES = ("circle", "square", "triangle")
_FORMATS = (("png", "RGB"), ("png", "L"), ("jpg", "RGB"), ("bmp", "RGB"), ("gif", "P"), ("webp", "RGB"),
            ("tiff", "L"), ("png", "RGBA"), ("png", "P"), ("jpg", "L"))


_COLOURS = ((200, 40, 40), (40, 160, 40), (40, 40, 200), (200, 160, 0), (120, 0, 160))


def draw_shape(shape: str, width: int, height: int, rng: np.random.Generator) -> object:
    """One RGB image of ``shape`` in its class's colour (jittered) at a random place, on a light background.

    Each class has a typical colour as well as a shape, so that even the linear
    baseline learns something from a few dozen images.
    """
    Image = pil()
    from PIL import ImageDraw

    background = tuple(int(v) for v in rng.integers(215, 256, size=3))
    image = Image.new("RGB", (width, height), background)
    base = np.array(_COLOURS[SHAPES.index(shape) % len(_COLOURS)] if shape in SHAPES else _COLOURS[0])
    colour = tuple(int(v) for v in np.clip(base + rng.integers(-30, 31, size=3), 0, 255))
    side = min(width, height)
    radius = side * rng.uniform(0.28, 0.42)
    cx = width / 2 + rng.uniform(-0.12, 0.12) * width
    cy = height / 2 + rng.uniform(-0.12, 0.12) * height
    draw = ImageDraw.Draw(image)
    box = (cx - radius, cy - radius, cx + radius, cy + radius)
    if shape == "circle":
        draw.ellipse(box, fill=colour)
    elif shape == "square":
        draw.rectangle(box, fill=colour)
    else:
        draw.polygon([(cx, cy - radius), (cx + radius, cy + radius), (cx - radius, cy + radius)], fill=colour)
    return image


def _save(image: object, path: Path, mode: str) -> None:
    if mode == "L":
        image = image.convert("L")
    elif mode == "P":
        image = image.convert("P", palette=1, colors=32)  # 1 = adaptive palette
    elif mode == "RGBA":
        image = image.convert("RGBA")
        image.putalpha(255)
    image.save(path)


def write_shapes(folder: Path, per_class: int = 24, seed: int = 0, shapes: tuple[str, ...] = SHAPES) -> Path:
    """``folder/<shape>/<n>.<ext>`` for each shape; returns ``folder``."""
    rng = np.random.default_rng(seed)
    folder = Path(folder)
    for shape in shapes:
        (folder / shape).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            width, height = (int(v) for v in rng.integers(20, 45, size=2))
            extension, mode = _FORMATS[index % len(_FORMATS)]
            _save(draw_shape(shape, width, height, rng), folder / shape / f"{index:03d}.{extension}", mode)
    return folder


def add_bad_files(folder: Path, class_name: str | None = None) -> list[Path]:
    """A corrupt PNG and a text file inside a class folder; returns their paths."""
    target = Path(folder) / (class_name or sorted(p.name for p in Path(folder).iterdir() if p.is_dir())[0])
    corrupt = target / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    text = target / "notes.txt"
    text.write_text("these are not pixels\n")
    return [corrupt, text]
