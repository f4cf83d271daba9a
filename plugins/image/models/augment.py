"""Data augmentation on whole batches: one affine resampling and one colour adjustment per batch.

Working on a batch tensor (rather than image by image in PIL) keeps
augmentation cheap on a CPU. Shifts, flips and rotations are combined into one
affine matrix per image, sampled with ``grid_sample``; colour jitter scales
brightness, contrast and (for colour images) saturation. Randomness comes from
a seeded generator, so a run is reproducible.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F


class Augmenter:
    def __init__(self, params: dict[str, Any], seed: int) -> None:
        self.shift = float(params.get("shift", 0.0))
        self.flip = str(params.get("flip", "none"))
        self.rotation = float(params.get("rotation", 0.0))
        self.jitter = float(params.get("color_jitter", 0.0))
        self.generator = torch.Generator().manual_seed(int(seed))

    @property
    def active(self) -> bool:
        return bool(self.shift or self.flip != "none" or self.rotation or self.jitter)

    def _uniform(self, n: int, low: float, high: float) -> torch.Tensor:
        return low + (high - low) * torch.rand(n, generator=self.generator)

    def _signs(self, n: int) -> torch.Tensor:
        return torch.where(torch.rand(n, generator=self.generator) < 0.5, -1.0, 1.0)

    def geometric(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        if not (self.shift or self.flip != "none" or self.rotation):
            return x
        angle = self._uniform(n, -self.rotation, self.rotation) * (math.pi / 180.0)
        flip_x = self._signs(n) if self.flip in ("horizontal", "both") else torch.ones(n)
        flip_y = self._signs(n) if self.flip == "both" else torch.ones(n)
        # affine_grid works in [-1, 1] coordinates: a shift of a fraction s of the side is 2s.
        tx, ty = self._uniform(n, -2 * self.shift, 2 * self.shift), self._uniform(n, -2 * self.shift, 2 * self.shift)
        cos, sin = torch.cos(angle), torch.sin(angle)
        theta = torch.stack([
            torch.stack([cos * flip_x, -sin * flip_y, tx], dim=1),
            torch.stack([sin * flip_x, cos * flip_y, ty], dim=1),
        ], dim=1)
        grid = F.affine_grid(theta, list(x.shape), align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def colour(self, x: torch.Tensor) -> torch.Tensor:
        if not self.jitter:
            return x
        n, j = x.shape[0], self.jitter
        shape = (n, 1, 1, 1)
        x = x * self._uniform(n, 1 - j, 1 + j).view(shape)
        mean = x.mean(dim=(1, 2, 3), keepdim=True)
        x = (x - mean) * self._uniform(n, 1 - j, 1 + j).view(shape) + mean
        if x.shape[1] == 3:
            grey = x.mean(dim=1, keepdim=True)
            x = (x - grey) * self._uniform(n, 1 - j, 1 + j).view(shape) + grey
        return x.clamp(0.0, 1.0)

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        """``x``: a float batch in [0, 1], shape (N, C, H, W)."""
        return self.colour(self.geometric(x))
