"""Decoding images with Pillow into fixed-size uint8 arrays, and a bounded cache of them.

Every format Pillow reads is accepted in any mode: palette, grey with alpha,
16-bit and float TIFFs, CMYK JPEGs. Transparent pixels are composited on
white, a GIF or multi-page TIFF gives its first frame, and a phone photo's EXIF
orientation is applied, so the network sees what a person sees. Images are
squashed to a square (no crop), because a defect may be anywhere in the frame.

The cache holds decoded, resized pixels per (resolution, channels) so later
epochs and trials never decode again; when it is full, new images are simply
not cached (streaming from disk), which beats LRU for the cyclic access of
epochs. Whole resolutions that are no longer used are evicted first.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from automl.kit import MissingExtra

CACHE_ENV = "AUTOML_IMAGE_CACHE_MB"
DEFAULT_CACHE_MB = 1024
_GREY_MODES = {"1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "I;16N", "F", "La"}


def pil() -> Any:
    """Pillow's Image module, or the install command for the ``image`` extra."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingExtra("pillow", "image", "the image task") from exc
    return Image


@dataclass(frozen=True)
class Probe:
    """What a full decode of one file found."""

    ok: bool
    width: int = 0
    height: int = 0
    grey: bool = False
    reason: str = ""


def _open(path: Path, draft_size: int | None = None) -> tuple[Any, str, tuple[int, int]]:
    """The file's first frame as a loaded RGB or L image, the file's own mode and size.

    A truncated file fails here (Pillow's default), so it counts as a bad file
    rather than becoming a half-grey image.
    """
    Image = pil()
    from PIL import ImageOps

    with Image.open(path) as image:
        image.seek(0)
        mode, full_size = image.mode, image.size
        if draft_size and image.format == "JPEG":
            image.draft("L" if mode in ("L", "1") else "RGB", (draft_size, draft_size))
        image.load()
        return _to_rgb_or_grey(ImageOps.exif_transpose(image)), mode, full_size


def _to_rgb_or_grey(image: Any) -> Any:
    Image = pil()
    mode = image.mode
    if mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        array = np.asarray(image, dtype=np.float64)
        low, high = float(np.nanmin(array)), float(np.nanmax(array))
        scaled = (array - low) / (high - low) * 255.0 if high > low else np.zeros_like(array)
        return Image.fromarray(np.nan_to_num(scaled).astype(np.uint8), mode="L")
    if mode == "P" or mode == "PA":
        image = image.convert("RGBA")
        mode = "RGBA"
    if mode in ("RGBA", "LA", "La", "RGBa"):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        flat = Image.alpha_composite(background, rgba)
        return flat.convert("L" if mode in ("LA", "La") else "RGB")
    if mode in ("L", "1"):
        return image.convert("L")
    return image.convert("RGB")


def probe(path: str | Path) -> Probe:
    """Decode a file completely to find out whether it is a usable image."""
    try:
        image, mode, (width, height) = _open(Path(path), draft_size=256)
        return Probe(True, width, height, mode in _GREY_MODES or image.mode == "L")
    except MissingExtra:
        raise
    except Exception as exc:  # noqa: BLE001 - any decoding failure makes the file unusable
        return Probe(False, reason=f"{type(exc).__name__}: {exc}"[:200])


def probe_all(paths: Sequence[str | Path], threads: int | None = None) -> list[Probe]:
    """Probe many files in parallel: Pillow releases the GIL while decoding."""
    workers = max(1, threads or usable_cpus())
    if len(paths) < 64 or workers == 1:
        return [probe(p) for p in paths]
    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(probe, paths, chunksize=32))


def usable_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def read_pixels(path: str, size: int, channels: int) -> np.ndarray:
    """``(channels, size, size)`` uint8 pixels of one image."""
    Image = pil()
    image, _, _ = _open(Path(path), draft_size=size)
    image = image.convert("L" if channels == 1 else "RGB")
    if image.size != (size, size):
        image = image.resize((size, size), Image.Resampling.BILINEAR, reducing_gap=2.0)
    array = np.asarray(image, dtype=np.uint8)
    return array[None] if channels == 1 else np.ascontiguousarray(array.transpose(2, 0, 1))


class PixelCache:
    """Decoded pixels per (size, channels) group, within a byte limit shared by all groups."""

    def __init__(self, limit_bytes: int | None = None) -> None:
        if limit_bytes is None:
            limit_bytes = int(float(os.environ.get(CACHE_ENV, DEFAULT_CACHE_MB)) * 2**20)
        self.limit = limit_bytes
        self.used = 0
        self.groups: OrderedDict[tuple[int, int], dict[str, np.ndarray]] = OrderedDict()
        self.lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, path: str, size: int, channels: int) -> np.ndarray:
        key = (size, channels)
        with self.lock:
            group = self.groups.setdefault(key, {})
            self.groups.move_to_end(key)
            found = group.get(path)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        pixels = read_pixels(path, size, channels)
        with self.lock:
            self._make_room(pixels.nbytes, key)
            if self.used + pixels.nbytes <= self.limit:
                group[path] = pixels
                self.used += pixels.nbytes
        return pixels

    def _make_room(self, needed: int, current: tuple[int, int]) -> None:
        """Evict whole groups other than ``current``, least recently used first."""
        while self.used + needed > self.limit:
            stale = next((k for k in self.groups if k != current), None)
            if stale is None:
                return
            self.used -= sum(a.nbytes for a in self.groups.pop(stale).values())

    def batch(self, paths: Sequence[str], size: int, channels: int) -> np.ndarray:
        return np.stack([self.get(str(p), size, channels) for p in paths])

    def clear(self) -> None:
        with self.lock:
            self.groups.clear()
            self.used = 0


CACHE = PixelCache()
